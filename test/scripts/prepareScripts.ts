// Runs the prepare scripts as npm start, npm test and CI do: as separate bash processes, several at once,
// or killed half-way (the whole process group, as Ctrl-C or a CI timeout would).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `bash scripts/<script> ...args` in its own process group; `done` settles when it exits. */
export function startScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<ScriptRun> } {
  return startBash([join(REPO_ROOT, "scripts", script), ...args], env);
}

/**
 * Starts `body` in bash in its own process group, after sourcing the helpers `libs` (scripts/lib/<name>.sh)
 * as the prepare scripts do, under `set -euo pipefail`; `args` are its $1, $2, ...
 */
export function startSourced(
  libs: readonly string[],
  body: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<ScriptRun> } {
  const sources = libs.map((lib) => `. ${JSON.stringify(join(REPO_ROOT, "scripts", "lib", `${lib}.sh`))}\n`);
  return startBash(["-c", `set -euo pipefail\n${sources.join("")}${body}`, "bash", ...args], env);
}

function startBash(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<ScriptRun> } {
  const child = spawn("bash", args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<ScriptRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the script to its end. */
export function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ScriptRun> {
  return startScript(script, args, env).done;
}

/** Kills the script and everything it started (npm, docker's client, ...), at once, as a crash would. */
export function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Polls until `probe` holds, or fails after `ms`. */
export async function until(
  what: string,
  ms: number,
  probe: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pathsWithout = new Map<string, string>();

/**
 * A folder to use as PATH that holds the commands of the process's PATH but those named in `hidden`: links to
 * the first of each name, as on a machine where those commands are missing (flock on macOS, for the scripts'
 * lock-folder fallback). Made once per process (linking a whole PATH takes seconds), removed at its exit.
 */
export function pathWithout(hidden: readonly string[]): string {
  const key = [...hidden].sort().join(" ");
  const made = pathsWithout.get(key);
  if (made !== undefined) return made;
  const dir = mkdtempSync(join(tmpdir(), "ecssd-path-"));
  pathsWithout.set(key, dir);
  if (pathsWithout.size === 1) {
    process.on("exit", () => {
      for (const folder of pathsWithout.values()) rmSync(folder, { recursive: true, force: true });
    });
  }
  const seen = new Set(hidden);
  for (const from of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}
