export const OUT: string;
export function buildInitExecutable(): Promise<string>;
export function writeSeaExecutable(node: string, blob: string, out: string): void;
