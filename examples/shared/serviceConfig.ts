// The environment an example service starts from, validated once at start-up.
import { isIP } from "node:net";

/** Start-up configuration that cannot work; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface ServiceConfig {
  readonly port: number;
  /** LISTEN_ADDRESS: the one address to listen on (e.g. 127.0.0.1); absent, every interface, as in a container. */
  readonly listenAddress?: string;
  /** How long to keep serving after SIGTERM, so DNS caches forget this instance first. */
  readonly drainMs: number;
  readonly auth: { readonly username: string; readonly password: string };
}

/** At least the SRV TTL (10 s) plus a second, so every cached answer naming us has expired. */
export const DEFAULT_DRAIN_MS = 11_000;

function integer(
  env: NodeJS.ProcessEnv,
  key: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`[${key}] must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return Number(raw);
}

/** Reads PORT alone (the health probe needs no credentials); throws ConfigError when it is malformed. */
export function readPort(env: NodeJS.ProcessEnv, defaults: { port: number }): number {
  const problems: string[] = [];
  const port = integer(env, "PORT", defaults.port, 0, 65535, problems);
  if (problems.length > 0) throw new ConfigError(`Invalid service config:\n - ${problems.join("\n - ")}`);
  return port;
}

/** Reads PORT, DRAIN_MS, AUTH_USERNAME and AUTH_PASSWORD; throws ConfigError naming every problem. */
export function readServiceConfig(env: NodeJS.ProcessEnv, defaults: { port: number }): ServiceConfig {
  const problems: string[] = [];
  const port = integer(env, "PORT", defaults.port, 0, 65535, problems);
  const drainMs = integer(env, "DRAIN_MS", DEFAULT_DRAIN_MS, 0, 600_000, problems);
  const username = env.AUTH_USERNAME ?? "";
  const password = env.AUTH_PASSWORD ?? "";
  if (username === "") problems.push("[AUTH_USERNAME] is required (the basic auth username)");
  if (username.includes(":")) problems.push("[AUTH_USERNAME] must not contain ':' (RFC 7617)");
  if (password === "") problems.push("[AUTH_PASSWORD] is required (the basic auth password)");
  const listenAddress = env.LISTEN_ADDRESS ?? "";
  if (listenAddress !== "" && isIP(listenAddress) === 0) {
    problems.push(
      `[LISTEN_ADDRESS] must be an IP address such as 127.0.0.1, got ${JSON.stringify(listenAddress.slice(0, 80))}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`Invalid service config:\n - ${problems.join("\n - ")}`);
  return { port, drainMs, auth: { username, password }, ...(listenAddress !== "" && { listenAddress }) };
}
