// IPv4 address arithmetic for netmasks, prefixes and broadcast addresses.

export function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

export function toInt(address: string): number {
  if (!isIpv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return address.split(".").reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

export function fromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");
}

/** 255.255.255.0 -> 24; throws for masks with holes, which no kernel route can express. */
export function prefixFromMask(mask: string): number {
  const n = toInt(mask);
  let bits = 0;
  while (bits < 32 && (n & (0x80000000 >>> bits)) !== 0) bits++;
  // Everything after the leading ones must be zero (a shift by 32 is a no-op in JS, hence the guard).
  if (bits < 32 && ((n << bits) >>> 0) !== 0) throw new Error(`netmask ${mask} is not contiguous`);
  return bits;
}

export function maskFromPrefix(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length ${prefix}`);
  return fromInt(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

export function broadcastOf(address: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return fromInt((toInt(address) | ~mask) >>> 0);
}

export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((toInt(a) & mask) >>> 0) === ((toInt(b) & mask) >>> 0);
}

/** The pre-CIDR default the kernel's ip= also falls back to when no netmask is given. */
export function classfulPrefix(address: string): number {
  const first = toInt(address) >>> 24;
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}
