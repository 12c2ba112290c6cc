export { type ElfHeader, type ElfInfo, ElfError, type ReadAt, bufferReader, isElf, isStatic, parseElf, parseElfHeader } from "./parse";
export { fdReader, readElfFile } from "./file";
export { sectionBytes } from "./sections";
export { ELF_MACHINES, runsHere } from "./machines";
