// The one way tests and benchmarks wait for something that happens in the background: poll, bounded.

/**
 * Calls `probe` until it returns something other than `false` or `undefined` (a throw counts as "not
 * yet"), and resolves with that value; rejects after `timeoutMs` naming `what` and the last error.
 *
 * @example
 * await eventually(async () => (await digShort(zone, "SRV", name)).length === 1, 10_000, "registered");
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = "condition",
  intervalMs = 50,
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  // Bounded by the deadline; the count only guards against a clock that does not move.
  for (let i = 0; i < 1_000_000; i++) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined) return value as Exclude<T, false | undefined>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
  );
}
