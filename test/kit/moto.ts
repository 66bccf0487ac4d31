// moto's server (PyPI `moto[server]`), an AWS emulator we did not write, started on loopback for tests
// that want an independent oracle for the Route53 and ECS APIs.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { refuseInQuickRun } from "./quickRun";

/** A running moto server. */
export interface MotoServer {
  /** Base URL to give an AWS SDK client as `endpoint`, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Forget every resource in every service (moto's `POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stop the server and wait for its process to exit. Safe to call twice. */
  close(): Promise<void>;
}

/** Options for {@link startMoto}. */
export interface StartMotoOptions {
  /** How long to wait for the server to answer, in ms (default 30,000: Python's start-up is slow). */
  readonly startTimeoutMs?: number;
}

const repoRoot = path.resolve(__dirname, "..", "..");

/** Where scripts/setup-machine.sh installs moto's server, relative to the repository root. */
export const motoServerPath = path.join(repoRoot, ".venv-moto", "bin", "moto_server");

/** Dummy credentials: moto accepts any, and they keep the SDK from looking for real ones. */
export const motoCredentials = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/**
 * Start moto's server on 127.0.0.1 with an ephemeral port and wait until it answers.
 *
 * @example
 * const moto = await startMoto();
 * const r53 = new Route53Client({ endpoint: moto.endpoint, region: "us-east-1", credentials: motoCredentials });
 * await moto.close();
 */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  refuseInQuickRun("moto's server");
  if (!fs.existsSync(motoServerPath)) {
    throw new Error(
      `moto's server is not installed (expected ${path.relative(repoRoot, motoServerPath)}); ` +
        "run `bash scripts/setup-machine.sh` from the repository root to install it",
    );
  }
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  // Port 0: werkzeug binds an ephemeral port and prints it, so no two test runs ever collide.
  const child = spawn(motoServerPath, ["-H", "127.0.0.1", "-p", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  try {
    const port = await readPort(child, exitedPromise, timeoutMs);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint, timeoutMs);
    // Keep draining output so a chatty server never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
    return {
      endpoint,
      reset: () => resetMoto(endpoint),
      close: () => stop(child, () => exited, exitedPromise),
    };
  } catch (err) {
    await stop(child, () => exited, exitedPromise);
    throw err;
  }
}

/** Forget every resource moto holds (`POST /moto-api/reset`), so each suite starts from nothing. */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
}

function readPort(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        done();
        resolve(Number(m[1]));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`moto's server did not report its port within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) => {
      done();
      reject(new Error(`moto's server could not be started: ${err.message}`));
    });
    void exited.then(() => {
      done();
      reject(
        new Error(`moto's server exited during start-up (exit code ${child.exitCode}); output:\n${output}`),
      );
    });
  });
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  // Bounded: one attempt per 100 ms until the deadline.
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = new Error(`HTTP ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto's server at ${endpoint} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

async function stop(child: ChildProcess, hasExited: () => boolean, exited: Promise<void>): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killTimer);
}
