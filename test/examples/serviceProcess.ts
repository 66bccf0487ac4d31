// Starts an example service as a real child process (through tsx) on an ephemeral port and waits
// for its "listening" log line; tests stop it in after/afterEach.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Every stdout line the process wrote so far (pino JSON). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** SIGKILL if still running; used in after hooks. */
  kill(): Promise<void>;
}

const ROOT = join(__dirname, "..", "..");

/** Runs `examples/<name>/main.ts` with `env` added to a minimal environment. */
export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", join(ROOT, "examples", name, "main.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr.join("")}`)), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        stdout.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === "listening" && typeof entry.port === "number") {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not JSON: kept in stdout for the assertion messages
        }
        nl = buffered.indexOf("\n");
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening: ${stderr.join("")}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout,
    stderr,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Runs a service expected to refuse to start; resolves with its exit code and stderr. */
export async function runToExit(
  name: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", join(ROOT, "examples", name, "main.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, stderr };
}
