// A second, private Docker engine for tests that restart the engine: its own socket, data, exec root,
// pid file and bridge, no iptables. The machine's engine, used by everyone else, is never touched.
// (Never start it with --bridge=none: that makes dockerd delete the host's docker0 interface.)
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DockerCli, RUN_ID } from "../kit/docker";

const run = promisify(execFile);

export interface PrivateDockerd {
  /** `unix://...` for `docker --host` and DOCKER_HOST. */
  host: string;
  socketPath: string;
  cli: DockerCli;
  /** Stops the engine (its containers die with it) and starts it again; resolves once it answers. */
  restart(): Promise<void>;
  /** Removes every container (all are ours), stops the engine, deletes its bridge and files. */
  close(): Promise<void>;
}

export async function startPrivateDockerd(image: string): Promise<PrivateDockerd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecssd-dd-"));
  const socketPath = path.join(dir, "docker.sock");
  const host = `unix://${socketPath}`;
  const bridge = `ecssd${RUN_ID}`.slice(0, 15);
  // A bridge of its own in the benchmarking range (198.18.0.0/15), so nothing on the machine is shared.
  await run("ip", ["link", "add", bridge, "type", "bridge"]);
  await run("ip", ["addr", "add", `198.18.${Number.parseInt(RUN_ID.slice(0, 2), 16)}.1/24`, "dev", bridge]);
  const log = fs.openSync(path.join(dir, "dockerd.log"), "a");
  let proc: ChildProcess | undefined;
  const cli = new DockerCli(host);

  const start = async () => {
    proc = spawn(
      "dockerd",
      [
        "--host",
        host,
        "--data-root",
        path.join(dir, "data"),
        "--exec-root",
        path.join(dir, "exec"),
        "--pidfile",
        path.join(dir, "docker.pid"),
        `--bridge=${bridge}`,
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
      ],
      { stdio: ["ignore", log, log] },
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break;
      if (
        await cli.exec(["info", "--format", "{{.ID}}"], 5000).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`private dockerd did not start; see ${path.join(dir, "dockerd.log")}`);
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
    // The base image, from the machine's engine (no registry is reachable).
    await new Promise<void>((resolve, reject) => {
      const save = spawn("docker", ["save", image], { stdio: ["ignore", "pipe", "ignore"] });
      const load = spawn("docker", ["--host", host, "load", "-q"], { stdio: ["pipe", "ignore", "ignore"] });
      save.stdout.pipe(load.stdin);
      load.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`docker load exited ${code}`))));
    });
  } catch (err) {
    await stop();
    await run("ip", ["link", "del", bridge]).catch(() => {});
    throw err;
  }

  return {
    host,
    socketPath,
    cli,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      const ids = (await cli.exec(["ps", "-aq"]).catch(() => "")).split("\n").filter(Boolean);
      if (ids.length) await cli.exec(["rm", "-f", ...ids], 120_000).catch(() => {});
      await stop();
      await run("ip", ["link", "del", bridge]).catch(() => {});
      fs.closeSync(log);
      // dockerd leaves its network namespace bind-mounted under the exec root.
      const mounts = fs
        .readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? "")
        .filter((m) => m.startsWith(`${dir}/`))
        .sort()
        .reverse();
      for (const m of mounts) await run("umount", ["-l", m]).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
