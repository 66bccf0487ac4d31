// Runs dnsperf (DNS-OARC's load generator) against one server and reads its summary.
import { spawn } from "node:child_process";

/** What one dnsperf run reports. */
export interface DnsperfResult {
  readonly queriesSent: number;
  readonly queriesCompleted: number;
  readonly queriesLost: number;
  readonly qps: number;
  /** Mean, min and max latency in milliseconds. */
  readonly latencyMs: { readonly avg: number; readonly min: number; readonly max: number };
  /** Response codes as dnsperf prints them, e.g. "NOERROR 100.00%". */
  readonly responseCodes: string;
  readonly rawOutput: string;
}

/** One bounded dnsperf run. */
export interface DnsperfOptions {
  readonly server: string;
  readonly port: number;
  readonly queryFile: string;
  /** `-l`: run for this many seconds. */
  readonly seconds: number;
  /** `-c`: number of simulated clients (source ports). */
  readonly clients: number;
  /** `-Q`: upper bound on queries per second. */
  readonly maxQps: number;
}

/**
 * Run dnsperf asynchronously (the server under test may share this process's event loop) and parse
 * its summary. Fails with dnsperf's own output when it does not finish or prints no summary.
 */
export function runDnsperf(opts: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    "-s",
    opts.server,
    "-p",
    String(opts.port),
    "-d",
    opts.queryFile,
    "-l",
    String(opts.seconds),
    "-c",
    String(opts.clients),
    "-Q",
    String(opts.maxQps),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("dnsperf", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
    });
    child.stderr.on("data", (b: Buffer) => {
      out += b.toString("utf8");
    });
    // dnsperf stops itself after -l seconds plus its query timeout; this is the backstop.
    const killer = setTimeout(() => child.kill("SIGKILL"), (opts.seconds + 15) * 1000);
    child.once("error", (err) => {
      clearTimeout(killer);
      reject(new Error(`dnsperf could not be started (${err.message}); run scripts/setup-machine.sh`));
    });
    child.once("close", (code) => {
      clearTimeout(killer);
      try {
        if (code !== 0) throw new Error(`dnsperf exited with code ${code}`);
        resolve(parseDnsperf(out));
      } catch (err) {
        reject(new Error(`${(err as Error).message}; dnsperf said:\n${out}`));
      }
    });
  });
}

/** Read dnsperf 2.x's "Statistics:" block. */
export function parseDnsperf(out: string): DnsperfResult {
  const num = (re: RegExp, what: string): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf output has no "${what}"`);
    return Number(m[1]);
  };
  const latency = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(out);
  if (!latency) throw new Error('dnsperf output has no "Average Latency"');
  return {
    queriesSent: num(/Queries sent:\s+(\d+)/, "Queries sent"),
    queriesCompleted: num(/Queries completed:\s+(\d+)/, "Queries completed"),
    queriesLost: num(/Queries lost:\s+(\d+)/, "Queries lost"),
    qps: num(/Queries per second:\s+([\d.]+)/, "Queries per second"),
    latencyMs: {
      avg: Number(latency[1]) * 1000,
      min: Number(latency[2]) * 1000,
      max: Number(latency[3]) * 1000,
    },
    responseCodes: /Response codes:\s+(.*)/.exec(out)?.[1]?.trim() ?? "",
    rawOutput: out,
  };
}
