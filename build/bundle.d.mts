export const ROOT: string;
export const NATIVE_ASSETS: Record<string, string>;
export function bundleInit(outfile: string): Promise<void>;
export function bundleHost(entry: string, outfile: string): Promise<void>;
