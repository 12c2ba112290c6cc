// Both pumps (native-pump.ts, stream-pump.ts) wrap a failure of their source in this, so that the
// extractor hands the source's own error (a network failure, a checksum mismatch, a restart) back
// to its owner unchanged instead of describing it as a decoding or tar error.

/** A failure of the input stream itself (network, checksum), kept apart from decoding failures. */
export class InputFailure extends Error {
  constructor(readonly error: unknown) {
    super("input failed");
  }
}
