// HTTP health checks of instances: GET http://<host address>:<port><path>, any 2xx or 3xx is healthy.
// Bounded concurrency, a timeout per attempt, a few attempts; an instance is only called unhealthy after
// every attempt failed, and never when the run ran out of time before it could finish checking.
import http from "node:http";
import { Semaphore } from "./boundedConcurrency";
import { endpointKey, type HealthCheckOptions, type HealthResult, type HealthTarget } from "./healthChecker";

export {
  endpointKey,
  type HealthCheckOptions,
  type HealthResult,
  type HealthTarget,
  type HealthVerdict,
} from "./healthChecker";

/** The health checker over HTTP (healthChecker.ts). Checks each distinct address:port once; results keyed by {@link endpointKey}. */
export async function checkEndpoints(
  targets: readonly HealthTarget[],
  options: HealthCheckOptions,
): Promise<Map<string, HealthResult>> {
  const unique = new Map<string, HealthTarget>();
  for (const t of targets) unique.set(endpointKey(t), t);
  const semaphore = new Semaphore(options.concurrency);
  const results = new Map<string, HealthResult>();
  await Promise.all(
    [...unique].map(async ([key, target]) => {
      results.set(key, await checkOne(target, options, semaphore));
    }),
  );
  return results;
}

export function healthUrl(t: HealthTarget, path: string): string {
  const host = t.address.includes(":") ? `[${t.address}]` : t.address;
  return `http://${host}:${t.port}${path}`;
}

async function checkOne(
  target: HealthTarget,
  options: HealthCheckOptions,
  semaphore: Semaphore,
): Promise<HealthResult> {
  const url = healthUrl(target, options.path);
  let detail = "not checked";
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.deadline !== undefined && Date.now() + options.timeoutMs > options.deadline) {
      return { verdict: "skipped", url, attempts: attempt - 1, detail: `out of time (last: ${detail})` };
    }
    // Each attempt takes a slot of its own, so a retry queues behind first attempts instead of hogging one.
    const probe = await semaphore.run(() => probeOnce(url, options.timeoutMs));
    detail = probe.detail;
    if (probe.healthy) return { verdict: "healthy", url, attempts: attempt, detail };
    if (attempt < options.attempts && !probe.timedOut) {
      await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 100) * 2 ** (attempt - 1)));
    }
  }
  return { verdict: "unhealthy", url, attempts: options.attempts, detail };
}

/** One GET with a deadline for the status line. The body is not read: the status says it all. */
export function probeOnce(
  url: string,
  timeoutMs: number,
): Promise<{ healthy: boolean; timedOut: boolean; detail: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { healthy: boolean; timedOut: boolean; detail: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let req: http.ClientRequest;
    // No keep-alive agent: one connection per check, closed at once, so nothing lingers after the run.
    const timer = setTimeout(() => {
      finish({ healthy: false, timedOut: true, detail: `timed out after ${timeoutMs} ms` });
      req?.destroy();
    }, timeoutMs);
    try {
      req = http.get(
        url,
        { agent: false, headers: { "user-agent": "ecssd-reconciler", connection: "close" } },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume();
          req.destroy();
          finish({ healthy: status >= 200 && status < 400, timedOut: false, detail: `HTTP ${status}` });
        },
      );
    } catch (err) {
      // A URL Node refuses outright (it cannot come from a valid A record and port): not reachable either.
      finish({ healthy: false, timedOut: false, detail: (err as Error).message });
      return;
    }
    req.on("error", (err: NodeJS.ErrnoException) => {
      finish({ healthy: false, timedOut: false, detail: err.code ?? err.message });
    });
  });
}
