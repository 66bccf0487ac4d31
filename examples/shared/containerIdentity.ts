// Who answered: the container id and the host, so a user can see load balancing at work.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface Identity {
  /** The container id, in Docker's 12-character short form when read from the system. */
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

/**
 * The container id: CONTAINER_ID when set, else the id Docker leaves in /proc/self/cgroup (cgroup v1)
 * or /proc/self/mountinfo (v2), else HOSTNAME (Docker's short id in bridge mode; in host network
 * mode it is the host's name, hence last), else /etc/hostname, else the OS host name.
 */
export function containerId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTAINER_ID) return env.CONTAINER_ID;
  const fromCgroup = /\/docker[/-]([0-9a-f]{64})/.exec(readOrEmpty("/proc/self/cgroup"))?.[1];
  if (fromCgroup) return fromCgroup.slice(0, 12);
  const fromMounts = /\/containers\/([0-9a-f]{64})\/hostname /.exec(readOrEmpty("/proc/self/mountinfo"))?.[1];
  if (fromMounts) return fromMounts.slice(0, 12);
  if (env.HOSTNAME) return env.HOSTNAME;
  return readOrEmpty("/etc/hostname").trim() || hostname();
}

export function identity(env: NodeJS.ProcessEnv = process.env): Identity {
  return { container: containerId(env), host: env.HOST_ID || hostname() };
}
