export function cutZeroRange(elf: Buffer, startVaddr: number, endVaddr: number): { elf: Buffer; cut: number };
