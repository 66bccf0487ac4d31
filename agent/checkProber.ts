// The edge that runs one health check: an HTTP GET (2xx/3xx passes, httpStatusProbe.ts) or a TCP connect,
// each bounded by the check's timeout, so a hanging endpoint costs one timeout and nothing more.
import net from "node:net";
import type { CheckTarget } from "./checkSchedule";
import { httpStatus } from "./httpStatusProbe";

export interface ProbeResult {
  readonly passed: boolean;
  /** `HTTP 200`, `HTTP 503`, `timed out after 2000 ms`, `ECONNREFUSED`, `connected`. */
  readonly detail: string;
}

export type Prober = (target: CheckTarget) => Promise<ProbeResult>;

/** Runs the target's check once. Never rejects: every failure is a failed check with its detail. */
export const probe: Prober = (target) => (target.check.kind === "tcp" ? probeTcp(target) : probeHttp(target));

function timeoutText(ms: number): string {
  return `timed out after ${ms} ms`;
}

async function probeHttp(target: CheckTarget): Promise<ProbeResult> {
  const { timeoutMs, path = "/" } = target.check;
  const r = await httpStatus(target.address, target.port, path, timeoutMs);
  if (r.status === undefined) return { passed: false, detail: r.error ?? "no response" };
  return { passed: r.status >= 200 && r.status < 400, detail: `HTTP ${r.status}` };
}

function probeTcp(target: CheckTarget): Promise<ProbeResult> {
  const { timeoutMs } = target.check;
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.address, port: target.port });
    const timer = setTimeout(() => done({ passed: false, detail: timeoutText(timeoutMs) }), timeoutMs);
    function done(r: ProbeResult) {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    }
    socket.once("connect", () => done({ passed: true, detail: "connected" }));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done({ passed: false, detail: err.code ?? err.message }),
    );
  });
}
