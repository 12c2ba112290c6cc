// A failure the init understands: it says which stage, and which parameter, layer or URL, is at fault.
// The top level prints `message` as is, so it must read well on a console by itself.
export class BootError extends Error {
  readonly stage: string;

  constructor(stage: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BootError";
    this.stage = stage;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    let text = err.message;
    let cause = (err as { cause?: unknown }).cause;
    while (cause instanceof Error && !text.includes(cause.message)) {
      text += `: ${cause.message}`;
      cause = (cause as { cause?: unknown }).cause;
    }
    return text;
  }
  return String(err);
}
