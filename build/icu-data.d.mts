export interface IcuItem {
  name: string;
  start: number;
  end: number;
}
export function findElfSymbol(elf: Buffer, pattern: RegExp): { name: string; vaddr: number; offset: number; size: number };
export function parseIcuPackage(pkg: Buffer): { headerSize: number; items: IcuItem[] };
export function writeIcuPackage(pkg: Buffer, keep: (name: string) => boolean): { pkg: Buffer; kept: number; dropped: number };
export function englishIcuKeeps(name: string): boolean;
export function trimEmbeddedIcu(exe: Buffer): {
  symbol: string;
  before: number;
  after: number;
  kept: number;
  dropped: number;
  /** The zeroed tail of the package, by virtual address. */
  zeros: { start: number; end: number };
};
