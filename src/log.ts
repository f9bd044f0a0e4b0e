import { type Logger, pino } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured JSON lines on stdout, one per event. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { pid: process.pid } });
}

export type { Logger };
