// A lock held by one process at a time across processes, as a folder made with mkdir (the atomic step), with
// its owner written inside as scripts/lib/lock.sh's hold_dir_lock writes it: `host`, `started` (when the
// owner process started, so that a later process given the same pid is not taken for it) and, last and whole,
// `pid`. A lock whose owner is gone from this machine (a build stopped by Ctrl-C or SIGKILL leaves its
// folder) is taken over at once, one whose owner was killed before writing its pid once it is a minute old;
// one made on another machine sharing the folder is waited for, up to maxWaitMs, and never taken over.
// Within one process the callers queue, so a process never waits on itself.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export interface DirLockOptions {
  /** What the lock guards, as the waiting message names it: "waiting for another <what> (pid N)". */
  readonly what: string;
  /** Where the waiting message goes, once per wait on another process. Default: stderr. */
  readonly say?: (line: string) => void;
  /**
   * How long to wait for an owner that is alive, or that cannot be seen from here (another machine sharing
   * the folder), before giving up with an error that names it. Such a lock is never taken over, however old:
   * a build on another machine may still be running. Default 10 minutes.
   */
  readonly maxWaitMs?: number;
  /** How often to look again while waiting. Default 200 ms. */
  readonly pollMs?: number;
}

/** The owner of a lock folder as written in it; `pid` is undefined until written (or never, if killed first). */
export interface LockOwner {
  readonly pid?: number;
  readonly host?: string;
  readonly started?: string;
}

/** A lock whose owner did not write its pid within this long after making the folder was killed in between. */
const UNWRITTEN_OWNER_MS = 60_000;

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the lock folder `dir` (made when missing, its parent too), then removes it.
 * @example await withDirLock("dist/images/.build.lock", { what: "image build" }, () => build())
 */
export function withDirLock<T>(dir: string, opts: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(dir) ?? Promise.resolve();
  const mine = before.then(async () => {
    await acquire(dir, opts);
    try {
      return await fn();
    } finally {
      release(dir);
    }
  });
  // The next caller of this process waits for this one whatever its outcome.
  const settled = mine.catch(() => undefined);
  queues.set(dir, settled);
  void settled.then(() => {
    if (queues.get(dir) === settled) queues.delete(dir);
  });
  return mine;
}

async function acquire(dir: string, opts: DirLockOptions): Promise<void> {
  const maxWaitMs = opts.maxWaitMs ?? 10 * 60_000;
  const say = opts.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const deadline = Date.now() + maxWaitMs;
  mkdirSync(join(dir, ".."), { recursive: true });
  let said = false;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = lockOwner(dir);
    if (ownerGone(dir, owner)) {
      if (takeOver(dir)) continue;
    } else if (Date.now() > deadline) {
      throw new Error(
        `another ${opts.what} (${describe(owner)}) has held ${dir} for over ${Math.round(maxWaitMs / 1000)} s; ` +
          "if it is not running, remove that folder",
      );
    } else if (!said) {
      say(`waiting for another ${opts.what} (${describe(owner)}) to finish: ${dir}`);
      said = true;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  writeFileSync(join(dir, "host"), `${hostname()}\n`);
  writeFileSync(join(dir, "started"), `${processStarted(process.pid) ?? ""}\n`);
  writeFileSync(join(dir, "pid.new"), `${process.pid}\n`);
  renameSync(join(dir, "pid.new"), join(dir, "pid"));
}

/** Removes the lock when it is still this process's (never one another process took over from it). */
function release(dir: string): void {
  if (lockOwner(dir).pid === process.pid) rmSync(dir, { recursive: true, force: true });
}

/** The owner written in the lock folder `dir`. */
export function lockOwner(dir: string): LockOwner {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const pid = Number(read("pid"));
  const host = read("host");
  const started = read("started");
  return {
    ...(Number.isSafeInteger(pid) && pid > 0 && { pid }),
    ...(host !== undefined && { host }),
    ...(started !== undefined && { started }),
  };
}

function describe(owner: LockOwner): string {
  if (owner.pid === undefined) return "its owner not written yet";
  return owner.host !== undefined && owner.host !== hostname()
    ? `pid ${owner.pid} on ${owner.host}`
    : `pid ${owner.pid}`;
}

/** The age of a file or folder in ms; 0 when it is gone. */
function ageMs(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? 0 : Date.now() - stat.mtimeMs;
}

/**
 * Whether the owner is known to be gone: its process is not running on this machine, or runs but started at
 * another time (its pid was given to another process), or it never wrote its pid and the folder is older
 * than a minute (its modified time is its owner's last write: nothing else writes in it). An owner on another
 * machine cannot be seen, and is never taken for gone.
 */
function ownerGone(dir: string, owner: LockOwner): boolean {
  if (owner.pid === undefined) return ageMs(dir) > UNWRITTEN_OWNER_MS;
  if (owner.host !== undefined && owner.host !== hostname()) return false;
  const now = processStarted(owner.pid);
  if (now === undefined) return true;
  return owner.started !== undefined && now !== "" && owner.started !== now;
}

/**
 * Removes a gone owner's lock. Several waiters may find the same dead owner: each takes the folder
 * `<dir>.takeover` beside the lock first and looks at the owner again under it, so that none removes a lock
 * that another has meanwhile taken over and holds. Beside, not inside: a folder made inside would change the
 * lock's modified time, the age an owner that never wrote its pid is judged by, and that lock would look new
 * at every look. One left by a waiter killed in those few milliseconds is removed once it is a minute old.
 * Says whether the lock is gone now (else the caller waits and looks again).
 */
function takeOver(dir: string): boolean {
  const guard = `${dir}.takeover`;
  try {
    mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    if (ageMs(guard) > UNWRITTEN_OWNER_MS) rmSync(guard, { recursive: true, force: true });
    return false;
  }
  try {
    // The lock went meanwhile: the caller makes it again.
    if (statSync(dir, { throwIfNoEntry: false }) === undefined) return true;
    if (!ownerGone(dir, lockOwner(dir))) return false;
    rmSync(dir, { recursive: true, force: true });
    return true;
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

/**
 * When the process `pid` started, as a string to compare: its start in clock ticks after boot (field 22 of
 * /proc/<pid>/stat) where there is /proc, else the start time `ps` gives; "" when it runs but its start
 * cannot be read; undefined when there is no such process.
 */
export function processStarted(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    if (statSync("/proc/self", { throwIfNoEntry: false }) !== undefined) return undefined;
    try {
      return execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  }
  // The command name (field 2) is in parentheses and may hold spaces; field 22 is the 20th after it.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}
