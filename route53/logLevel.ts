// The Lambdas' log level from LOG_LEVEL (default info), shared by the reconciler and the registrar. An unknown
// level would make pino throw while the module loads; fall back to info instead.
import pino from "pino";

export function logLevel(wanted: string | undefined): string {
  const level = wanted?.trim().toLowerCase();
  return level && (level === "silent" || level in pino.levels.values) ? level : "info";
}
