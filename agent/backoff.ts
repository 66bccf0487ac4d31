// The agent's waits: the edge's one back-off (full jitter, exponential, capped) for zone writes and Docker
// reconnects, and a sleep that a stop signal can cut short.
export { Backoff, type BackoffOptions } from "../route53/backoff";

/**
 * A sleep that a stop signal can cut short. `unref`: it does not keep the process alive (a background wait that
 * must not hold up an exit).
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (unref) timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
