// Child process for src/sys/decoders.test.ts: decodes FILE several times, each with a fresh
// decoder and random input chunk sizes, and prints the sha256 of every output (or the error).
// Run in a child so that MALLOC_PERTURB_ can be set before the process starts.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { NativeCodec } from "../sys/native-codec";
import { Bzip2Decoder } from "../sys/bzip2";
import { XzDecoder } from "../sys/xz";
import { ZstdDecoder } from "../sys/zstd";
import { pumpNative } from "../unpack/native-pump";

const [kinds, file, runs] = process.argv.slice(2);
const EXTENSIONS: Record<string, string> = { xz: "xz", zstd: "zst", bzip2: "bz2" };

async function main(): Promise<void> {
  const results: string[] = [];
  for (let i = 0; i < Number(runs); i++) {
    for (const kind of kinds.split(",")) {
      const dec: NativeCodec = kind === "xz" ? new XzDecoder() : kind === "bzip2" ? new Bzip2Decoder() : new ZstdDecoder();
      const h = createHash("sha256");
      const hwm = 1000 + Math.floor(Math.random() * 200_000);
      try {
        await pumpNative(createReadStream(file.replace("%k", EXTENSIONS[kind]), { highWaterMark: hwm }), dec, (b) => h.update(b));
        results.push(`${kind} ${h.digest("hex")}`);
      } catch (e) {
        results.push(`${kind} error ${(e as Error).message}`);
      }
    }
  }
  console.log(JSON.stringify(results));
}

void main();
