// The gate between the network and the consumer when a layer has a manifest: bytes are held until the
// chunk they belong to is complete and matches its signed digest, then released in order.
import type { Hash } from "node:crypto";
import { sha256 } from "./sha256";
import { formatBytes } from "../console/units";
import type { Manifest } from "./manifest";

export class ChunkMismatchError extends Error {
  constructor(
    readonly index: number,
    readonly start: number,
    readonly end: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`chunk ${index} (${formatBytes(start)}..${formatBytes(end)}) does not match the manifest`);
    this.name = "ChunkMismatchError";
  }
}

export class ChunkVerifier {
  /** Bytes released (all verified): always a chunk boundary, or the end of the file. */
  verified = 0;
  private held: Buffer[] = [];
  private heldLength = 0;
  private hash: Hash = sha256();

  constructor(readonly manifest: Manifest) {}

  /** Where the next byte from the network belongs. */
  get position(): number {
    return this.verified + this.heldLength;
  }

  get complete(): boolean {
    return this.verified === this.manifest.size;
  }

  /**
   * Takes the next bytes of the file. Returns the buffers now verified (in order), and the error that
   * stopped it, if any: then the held chunk has been dropped and `position` is back at its start.
   */
  push(buf: Buffer): { released: Buffer[]; error?: Error } {
    const { chunkSize, size, chunks } = this.manifest;
    const released: Buffer[] = [];
    let off = 0;
    while (off < buf.length) {
      const want = Math.min(chunkSize, size - this.verified);
      if (want <= 0) {
        return { released, error: new Error(`server sent more than the manifest's ${size} bytes`) };
      }
      const take = Math.min(want - this.heldLength, buf.length - off);
      const piece = buf.subarray(off, off + take);
      this.hash.update(piece);
      this.held.push(piece);
      this.heldLength += take;
      off += take;
      if (this.heldLength === want) {
        const index = this.verified / chunkSize;
        const actual = this.hash.digest("hex");
        if (actual !== chunks[index]) {
          const start = this.verified;
          this.drop();
          return { released, error: new ChunkMismatchError(index, start, start + want, chunks[index], actual) };
        }
        released.push(...this.held);
        this.verified += want;
        this.held = [];
        this.heldLength = 0;
        this.hash = sha256();
      }
    }
    return { released };
  }

  /** Forgets the partly received chunk (its bytes cannot be trusted to continue). */
  drop(): void {
    this.held = [];
    this.heldLength = 0;
    this.hash = sha256();
  }
}
