import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One JSON line per event on stdout; readable colored lines instead when
 * stdout is a terminal (a person watching), as in the walkthrough's logs.
 */
export function createLogger(level: LogLevel): Logger {
  const options = { level, base: { pid: process.pid } };
  if (!process.stdout.isTTY) return pino(options);
  return pino(options, pretty({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
}

export type { Logger };
