// The two percentile rules the benchmarks report with, each under its own name: the fetch and resolver
// benchmarks' published figures use floor rank, the agent and health benchmarks' nearest rank, and each
// keeps its own so that no figure moves.

/** The value at rank floor(p% of n) of ascending `sorted` (0-based); NaN for no values. */
export function floorRankPercentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The nearest-rank percentile: the value at rank ceil(p% of n) of ascending `sorted` (1-based); NaN for no values. */
export function nearestRankPercentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return floorRankPercentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
