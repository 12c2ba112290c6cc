// Console output for PID 1. Writes are synchronous on fd 2 so that nothing is lost when the
// next thing the init does is exec, reboot or a crash.
import { writeSync } from "node:fs";
import { hideCredentials } from "./redact";

export type Level = "info" | "warn" | "error" | "debug";

const state = { quiet: false, debug: false, prefix: "tarboot: " };

export function configureLog(opts: { quiet?: boolean; debug?: boolean; prefix?: string }): void {
  if (opts.quiet !== undefined) state.quiet = opts.quiet;
  if (opts.debug !== undefined) state.debug = opts.debug;
  if (opts.prefix !== undefined) state.prefix = opts.prefix;
}

export function isDebug(): boolean {
  return state.debug;
}

function emit(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // The console went away (EAGAIN on a full pipe, EIO on a hung-up tty); dropping a line beats dying.
  }
}

/** Seconds since the kernel started: process.hrtime is CLOCK_MONOTONIC, the clock of dmesg. */
function uptimeSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * One console line. Debug lines carry the time since the kernel started, as dmesg does, so a slow
 * step shows on the console and lines up with the kernel's own messages.
 */
export function formatLine(prefix: string, level: Level, message: string, uptime: number): string {
  const tag = level === "info" ? "" : level === "debug" ? `debug: [${uptime.toFixed(3).padStart(8)}] ` : `${level}: `;
  return `${prefix}${tag}${message}\n`;
}

/** A line for the console alone, never for the sinks: what a sink says about itself. */
export function logLocal(level: Level, message: string): void {
  if (level === "debug" && !state.debug) return;
  if (level !== "info" || !state.quiet) emit(formatLine(state.prefix, level, hideCredentials(message), level === "debug" ? uptimeSeconds() : 0));
}

export function log(level: Level, message: string): void {
  if (level === "debug" && !state.debug) return;
  const text = hideCredentials(message);
  if (level !== "info" || !state.quiet) emit(formatLine(state.prefix, level, text, level === "debug" ? uptimeSeconds() : 0));
  record(level, text);
}

/** Where lines go besides the console (the remote syslog), each with the wall-clock time of the line. */
export type LogSink = (level: Level, message: string, timeMs: number) => void;

const sinks: LogSink[] = [];
// Lines from before a sink exists (the boot's first stages, before the network is up), with
// their monotonic time: the wall clock may be set from NTP before they are sent.
const early: { level: Level; message: string; monoMs: number }[] = [];
const EARLY_MAX = 500;

function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// Every line of this boot, for /run/tarboot/console.log in the booted system: the console scrolls
// away, a serial console may not be captured, and journald never sees the initramfs.
const transcript: string[] = [];
const TRANSCRIPT_MAX = 10_000;

/** The lines so far, each stamped with the seconds since the kernel started (dmesg's clock) and its level. */
export function transcriptText(): string {
  return transcript.join("");
}

function record(level: Level, message: string): void {
  if (transcript.length < TRANSCRIPT_MAX) transcript.push(`[${(monoMs() / 1000).toFixed(3).padStart(8)}] ${level === "info" ? "" : `${level}: `}${message}\n`);
  if (sinks.length === 0) {
    if (early.length < EARLY_MAX) early.push({ level, message, monoMs: monoMs() });
    return;
  }
  const now = Date.now();
  for (const s of sinks) deliver(s, level, message, now);
}

function deliver(sink: LogSink, level: Level, message: string, timeMs: number): void {
  try {
    sink(level, message, timeMs);
  } catch {
    // A sink that fails (the network went away) must not take the console or the boot with it.
  }
}

const flushes: (() => void)[] = [];

/** Lets every sink finish delivering what it was given (before a reboot); each bounds its own wait. */
export function flushLogSinks(): void {
  for (const f of flushes) {
    try {
      f();
    } catch {
      // As for a failing sink: the reboot goes on.
    }
  }
}

/**
 * Adds a sink and gives it the lines logged so far (quiet-suppressed info included), in order.
 * `flush`, when given, is run by flushLogSinks.
 */
export function addLogSink(sink: LogSink, flush?: () => void): void {
  if (flush) flushes.push(flush);
  const wallMinusMono = Date.now() - monoMs();
  for (const e of early) deliver(sink, e.level, e.message, e.monoMs + wallMinusMono);
  early.length = 0;
  sinks.push(sink);
}

export const info = (m: string) => log("info", m);
export const warn = (m: string) => log("warn", m);
export const error = (m: string) => log("error", m);
export const debug = (m: string) => log("debug", m);

/** Raw write for progress lines, which manage their own line endings. */
export function writeRaw(text: string): void {
  if (!state.quiet) emit(hideCredentials(text));
}
