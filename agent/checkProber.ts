// The edge that runs one health check: an HTTP GET (2xx/3xx passes) or a TCP connect, each bounded by the
// check's timeout through an AbortSignal, so a hanging endpoint costs one timeout and nothing more.
import http from "node:http";
import net from "node:net";
import type { CheckTarget } from "./checkSchedule";

export interface ProbeResult {
  readonly passed: boolean;
  /** `HTTP 200`, `HTTP 503`, `timed out after 2000 ms`, `ECONNREFUSED`, `connected`. */
  readonly detail: string;
}

export type Prober = (target: CheckTarget) => Promise<ProbeResult>;

// Keep-alive: a port checked every second over one connection costs far less CPU than a handshake each time.
// Bounded so that a host with many checked ports never holds more than a few sockets per endpoint.
const agent = new http.Agent({ keepAlive: true, maxSockets: 2, maxFreeSockets: 1, timeout: 30_000 });

/** Runs the target's check once. Never rejects: every failure is a failed check with its detail. */
export const probe: Prober = (target) => (target.check.kind === "tcp" ? probeTcp(target) : probeHttp(target));

function timeoutText(ms: number): string {
  return `timed out after ${ms} ms`;
}

function probeHttp(target: CheckTarget): Promise<ProbeResult> {
  const { timeoutMs, path = "/" } = target.check;
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let req: http.ClientRequest;
    try {
      req = http.request(
        {
          host: target.address,
          port: target.port,
          path,
          method: "GET",
          agent,
          signal,
          headers: { "user-agent": "ecssd-agent" },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // The status says it all; the body is drained so the connection can be reused.
          res.resume();
          res.on("error", () => {});
          finish({ passed: status >= 200 && status < 400, detail: `HTTP ${status}` });
        },
      );
    } catch (err) {
      finish({ passed: false, detail: (err as Error).message });
      return;
    }
    req.on("error", (err: NodeJS.ErrnoException) => {
      finish({
        passed: false,
        detail: signal.aborted ? timeoutText(timeoutMs) : (err.code ?? err.message),
      });
    });
    req.end();
  });
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
