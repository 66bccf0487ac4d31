// One JSON logger per example process. Authorization headers are redacted in case anyone logs a request.
import pino, { type Logger } from "pino";

export function createLogger(service: string): Logger {
  return pino({
    name: service,
    level: process.env.LOG_LEVEL ?? "info",
    redact: ["req.headers.authorization", "headers.authorization", "auth", "password"],
  });
}
