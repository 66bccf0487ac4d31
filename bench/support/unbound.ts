// unbound (NLnet Labs' resolver) serving a fixed set of records as local-data on loopback: the
// reference the local zone's DNS throughput is compared with.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** One resource record as unbound's local-data takes it. */
export interface LocalRecord {
  /** Fully qualified, with the trailing dot. */
  readonly name: string;
  readonly type: "A" | "SRV";
  readonly ttl: number;
  /** Presentation format, e.g. `1 1 8080 h1.servicediscovery.internal.`. */
  readonly value: string;
}

/** A running unbound. */
export interface UnboundServer {
  readonly host: string;
  readonly port: number;
  /** CPU time unbound has used so far (user + system), in microseconds. */
  cpuMicros(): number;
  close(): Promise<void>;
}

/**
 * Write an unbound.conf into a fresh temporary directory and start unbound in the foreground with one
 * thread on 127.0.0.1. The zone is a static local-zone and every other name is refused, so unbound
 * never sends a query anywhere.
 */
export async function startUnbound(zone: string, records: readonly LocalRecord[]): Promise<UnboundServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecssd-bench-unbound-"));
  const port = await freeLoopbackPort();
  const conf = [
    "server:",
    "  interface: 127.0.0.1",
    `  port: ${port}`,
    "  do-daemonize: no",
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${path.join(dir, "unbound.pid")}"`,
    '  logfile: ""',
    "  use-syslog: no",
    "  verbosity: 0",
    "  num-threads: 1",
    "  do-ip6: no",
    "  access-control: 127.0.0.0/8 allow",
    // No validator, so no trust anchor to fetch; iterator only, and it is never reached below.
    '  module-config: "iterator"',
    '  local-zone: "." refuse',
    `  local-zone: "${zone}." static`,
    ...records.map((r) => `  local-data: "${r.name} ${r.ttl} IN ${r.type} ${r.value}"`),
    "remote-control:",
    "  control-enable: no",
    "",
  ].join("\n");
  const confPath = path.join(dir, "unbound.conf");
  fs.writeFileSync(confPath, conf);
  try {
    await execFileAsync("unbound-checkconf", [confPath]);
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string; message: string };
    if (e.code === "ENOENT") throw new Error("unbound is not installed; run scripts/setup-machine.sh");
    throw new Error(
      `unbound-checkconf refused the generated configuration: ${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
  }
  const child = spawn("unbound", ["-d", "-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (b: Buffer) => {
    output += b.toString("utf8");
  });
  child.stderr?.on("data", (b: Buffer) => {
    output += b.toString("utf8");
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  const close = async () => {
    await stopChild(child, () => exited, exitedPromise);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForAnswer(
      port,
      zone,
      () => exited,
      () => output,
    );
  } catch (err) {
    await close();
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("unbound started without a process id");
  return { host: "127.0.0.1", port, cpuMicros: () => processCpuMicros(pid), close };
}

/** A port free for both UDP and TCP on 127.0.0.1 right now (unbound takes a fixed port). */
async function freeLoopbackPort(): Promise<number> {
  // Bounded: a handful of tries at finding a port that is free for both protocols.
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve());
    });
    const port = udp.address().port;
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error("no loopback port was free for both UDP and TCP after 20 tries");
}

async function waitForAnswer(
  port: number,
  zone: string,
  hasExited: () => boolean,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  // Bounded: one dig per 100 ms for at most 10 s.
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`unbound exited during start-up:\n${output()}`);
    try {
      const { stdout } = await execFileAsync("dig", [
        "@127.0.0.1",
        "-p",
        String(port),
        "+tries=1",
        "+time=1",
        "SOA",
        `${zone}.`,
      ]);
      if (/status: (NOERROR|NXDOMAIN)/.test(stdout)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`unbound did not answer on 127.0.0.1:${port} within 10 s:\n${output()}`);
}

async function stopChild(
  child: ChildProcess,
  hasExited: () => boolean,
  exited: Promise<void>,
): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killTimer);
}

/** User + system CPU time of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
function processCpuMicros(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
