export const OUT: string;
export function buildInitExecutable(): Promise<string>;
