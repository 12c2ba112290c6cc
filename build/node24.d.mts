export const NODE_VERSION: string;
export const CACHE: string;
export const NODE24: string;
export function ensureNode24(): string;
