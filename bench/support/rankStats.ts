// The floor-rank percentile and the median the fetch and resolver benchmarks report with (the agent and
// health benchmarks use nearest rank, bench/support/srvQuery.ts; their published figures keep their own).

/** The value at rank floor(p% of n) of ascending `sorted`; NaN for no values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
