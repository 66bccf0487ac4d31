// The agent's waits: the edge's one back-off (full jitter, exponential, capped) for zone writes and Docker
// reconnects, and a sleep that a stop signal can cut short.
export { Backoff, type BackoffOptions } from "../route53/backoff";

/** A sleep that a stop signal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
