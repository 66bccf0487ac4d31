// Who answered: the container id and the host, so a user can see load balancing at work.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface Identity {
  /** The container id (Docker sets HOSTNAME to its short form). */
  readonly container: string;
  /** The host the container runs on: HOST_ID when the platform passes it, else the machine name. */
  readonly host: string;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The container id: HOSTNAME, else the id in /proc/self/cgroup, else /etc/hostname, else the OS name. */
export function containerId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOSTNAME) return env.HOSTNAME;
  const fromCgroup = /[0-9a-f]{64}/.exec(readOrEmpty("/proc/self/cgroup"))?.[0];
  if (fromCgroup) return fromCgroup.slice(0, 12);
  return readOrEmpty("/etc/hostname").trim() || hostname();
}

export function identity(env: NodeJS.ProcessEnv = process.env): Identity {
  return { container: containerId(env), host: env.HOST_ID || hostname() };
}
