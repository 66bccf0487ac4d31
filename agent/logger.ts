// The agent's JSON logger, created once. Lines name the container (12-character id), service and action;
// a container's environment is never logged (only SERVICE_* key names appear in problems).
import pino from "pino";

export const logger = pino({
  name: "ecssd-agent",
  level: process.env.LOG_LEVEL ?? "info",
  // err objects carry SDK responses; keep them to name and message.
  serializers: { err: (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)) },
});

export type Logger = pino.Logger;
