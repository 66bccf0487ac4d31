// What a running `stack up` leaves on disk so that `stack down` and `stack status` in another terminal can
// find it. Holds addresses and process ids only: never the credentials.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface StackState {
  pid: number;
  agentPid?: number;
  apiUrl: string;
  dns: { host: string; port: number };
  hostedZoneId: string;
  zoneName: string;
  portalUrl: string;
  /** The coalescer's API; absent: the stack writes per host (`--no-coalescer`, or a stack from before it). */
  coalescerUrl?: string;
  /** The token its API asks for; the file is written for its owner alone. */
  coalescerToken?: string;
  startedAt: string;
}

const FILE = "state.json";

export function writeStackState(dir: string, state: StackState): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${FILE}.${process.pid}.tmp`);
  // Owner only: it holds the coalescer's token.
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, FILE));
}

/** The state of a stack whose process is still alive, or undefined. */
export function readStackState(dir: string): StackState | undefined {
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(join(dir, FILE), "utf8")) as StackState;
  } catch {
    return undefined;
  }
  return typeof state.pid === "number" && isAlive(state.pid) ? state : undefined;
}

const NAME_FILE = "stack-name";

/**
 * Written before `stack up` starts anything, and kept after it stops: the name that marks the containers of
 * the last stack started from this folder, so that `stack down` finds the leftovers of one that died before
 * it was up (and leaves another folder's stack alone).
 */
export function writeStackName(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, NAME_FILE), `${name}\n`);
}

/** The name `writeStackName` left, or undefined when no stack was ever started from this folder. */
export function readStackName(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, NAME_FILE), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export function clearStackState(dir: string): void {
  rmSync(join(dir, FILE), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
