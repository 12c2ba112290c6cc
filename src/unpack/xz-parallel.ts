// xz decoding on several threads. lzma-native bundles liblzma 5.2.3, single-threaded and about
// half as fast as xz(1). Multi-threaded xz encoders (xz -T, pixz...) cut the stream into blocks
// whose headers carry their sizes; such a block can be decoded alone. Each one is wrapped as a
// self-contained one-block .xz stream (so liblzma still verifies its check and sizes) and decoded
// by its own decoder on the thread pool, several at once, output kept in order. Memory stays
// bounded: at most `parallel` blocks in flight. Files whose first block has no sizes in its header
// (single-threaded xz) go to one plain decoder instead (see xzHeadAllowsParallel).
import { lzma } from "./lzma";
import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const STREAM_HEADER = 12;

function checkSize(flags: number): number {
  const t = flags & 0x0f;
  return t === 0 ? 0 : 4 << Math.floor((t - 1) / 3);
}

/** Reads a multibyte integer at `pos`; null when `buf` ends first. */
function varint(buf: Buffer, pos: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 9; i++) {
    if (pos + i >= buf.length) return null;
    const b = buf[pos + i];
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return [v, pos + i + 1];
  }
  throw new Error("xz: malformed variable-length integer");
}

function encodeVarint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function le32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

interface BlockHeader {
  headerSize: number;
  compressed?: number;
  uncompressed?: number;
}

function parseBlockHeader(h: Buffer, pos: number): BlockHeader | null {
  if (pos >= h.length) return null;
  const headerSize = (h[pos] + 1) * 4;
  if (pos + headerSize > h.length) return null;
  const flags = h[pos + 1];
  let p = pos + 2;
  const out: BlockHeader = { headerSize };
  if (flags & 0x40) {
    const r = varint(h, p);
    if (!r) return null;
    [out.compressed, p] = r;
  }
  if (flags & 0x80) {
    const r = varint(h, p);
    if (!r) return null;
    [out.uncompressed, p] = r;
  }
  return out;
}

/**
 * From the first bytes of an .xz file: true when its first block states both sizes (a
 * multi-threaded encoder made it), so blocks can be decoded in parallel; null when `head` is too
 * short to tell.
 */
export function xzHeadAllowsParallel(head: Buffer): boolean | null {
  if (head.length < STREAM_HEADER + 1) return null;
  if (head[STREAM_HEADER] === 0) return false;
  const h = parseBlockHeader(head, STREAM_HEADER);
  if (!h) return null;
  return h.compressed !== undefined && h.uncompressed !== undefined;
}

/** A byte queue that only concatenates what it must. */
class Queue {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }
  peek(n: number): Buffer {
    n = Math.min(n, this.length);
    if (this.chunks.length > 0 && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged.subarray(0, n);
  }
  take(n: number): Buffer {
    const b = Buffer.from(this.peek(n));
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    return b;
  }
}

type State = "header" | "block" | "index" | "footer" | "padding";

export class XzParallelDecoder extends Transform {
  private readonly q = new Queue();
  private state: State = "header";
  private header: Buffer = Buffer.alloc(0);
  private blocks = 0;
  private readonly inflight: Promise<Buffer[]>[] = [];

  constructor(private readonly parallel: number) {
    super({ readableHighWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.q.push(chunk);
    try {
      while (this.step());
    } catch (e) {
      return cb(e as Error);
    }
    this.drainTo(this.parallel - 1).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.drainTo(0).then(() => {
      if (this.state !== "padding" || this.q.length !== 0) return cb(new Error("unexpected end of input"));
      cb();
    }, cb);
  }

  /** Waits for the oldest blocks, pushing their output in order, until at most `max` are in flight. */
  private async drainTo(max: number): Promise<void> {
    while (this.inflight.length > max) {
      const out = await (this.inflight[0] as Promise<Buffer[]>);
      this.inflight.shift();
      for (const b of out) this.push(b);
    }
  }

  /** Parses what the queue holds; true when it made progress. */
  private step(): boolean {
    switch (this.state) {
      case "header": {
        if (this.q.length < STREAM_HEADER) return false;
        const h = this.q.take(STREAM_HEADER);
        if (!h.subarray(0, 6).equals(MAGIC)) throw new Error("xz: bad stream header magic");
        if (crc32(h.subarray(6, 8)) !== h.readUInt32LE(8)) throw new Error("xz: stream header is corrupt (CRC32 mismatch)");
        this.header = h;
        this.state = "block";
        return true;
      }
      case "block": {
        if (this.q.length < 1) return false;
        const first = this.q.peek(1)[0];
        if (first === 0) {
          this.state = "index";
          return true;
        }
        const bh = parseBlockHeader(this.q.peek((first + 1) * 4), 0);
        if (!bh) return false;
        if (bh.compressed === undefined || bh.uncompressed === undefined) {
          throw new Error(`xz: block ${this.blocks + 1} does not state its sizes, so it cannot be decoded in parallel (recompress with xz -T0)`);
        }
        const check = checkSize(this.header[7]);
        const total = bh.headerSize + bh.compressed + ((4 - (bh.compressed % 4)) % 4) + check;
        if (this.q.length < total) return false;
        const block = this.q.take(total);
        this.blocks++;
        this.dispatch(block, bh.headerSize + bh.compressed + check, bh.uncompressed);
        return true;
      }
      case "index": {
        // The index is small (a few bytes per block): parse it from the merged queue.
        const buf = this.q.peek(this.q.length);
        const count = varint(buf, 1);
        if (!count) return false;
        let p = count[1];
        for (let i = 0; i < count[0] * 2; i++) {
          const r = varint(buf, p);
          if (!r) return false;
          p = r[1];
        }
        const size = p + ((4 - (p % 4)) % 4) + 4;
        if (buf.length < size) return false;
        this.q.take(size);
        this.state = "footer";
        return true;
      }
      case "footer": {
        if (this.q.length < STREAM_HEADER) return false;
        const f = this.q.take(STREAM_HEADER);
        if (f[10] !== 0x59 || f[11] !== 0x5a) throw new Error("xz: bad stream footer");
        this.state = "padding";
        return true;
      }
      case "padding": {
        // Stream padding (NULs in fours) or another concatenated stream.
        if (this.q.length < 4) return false;
        const p = this.q.peek(6);
        if (p.readUInt32LE(0) === 0) {
          this.q.take(4);
          return true;
        }
        if (p.length < 6) return false;
        if (!p.equals(MAGIC)) throw new Error("xz: garbage after the end of the stream");
        this.state = "header";
        return true;
      }
    }
  }

  private dispatch(block: Buffer, unpadded: number, uncompressed: number): void {
    const index = Buffer.from([0, ...encodeVarint(1), ...encodeVarint(unpadded), ...encodeVarint(uncompressed)]);
    const indexPadded = Buffer.concat([index, Buffer.alloc((4 - (index.length % 4)) % 4)]);
    const indexFull = Buffer.concat([indexPadded, le32(crc32(indexPadded))]);
    const tail = Buffer.concat([le32(indexFull.length / 4 - 1), this.header.subarray(6, 8)]);
    const footer = Buffer.concat([le32(crc32(tail)), tail, Buffer.from("YZ")]);
    const mini = Buffer.concat([this.header, block, indexFull, footer]);
    const job = new Promise<Buffer[]>((resolve, reject) => {
      const d = lzma().createDecompressor();
      const out: Buffer[] = [];
      d.on("data", (b: Buffer) => out.push(b));
      d.on("error", (e: Error) => reject(e));
      d.on("end", () => resolve(out));
      d.end(mini);
    });
    // Awaited in order later; a failure before then must not count as unhandled.
    job.catch(() => undefined);
    this.inflight.push(job);
  }
}
