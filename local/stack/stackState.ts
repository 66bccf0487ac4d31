// What a running `stack up` leaves on disk so that `stack down` and `stack status` in another terminal can
// find it. Holds addresses and process ids only: never the credentials.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface StackState {
  pid: number;
  /** The name that marks the stack's containers (`stack up --stack-name`); absent in older state files. */
  stackName?: string;
  agentPid?: number;
  apiUrl: string;
  dns: { host: string; port: number };
  hostedZoneId: string;
  zoneName: string;
  portalUrl: string;
  startedAt: string;
}

const FILE = "state.json";

export function writeStackState(dir: string, state: StackState): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, join(dir, FILE));
}

/** The state of a stack whose process is still alive, or undefined. */
export function readStackState(dir: string): StackState | undefined {
  const state = readStateFile(dir);
  return state && typeof state.pid === "number" && isAlive(state.pid) ? state : undefined;
}

/** The state file as the last `stack up` left it, whether or not its process still runs. */
export function readStateFile(dir: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, FILE), "utf8")) as StackState;
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
