// A small deterministic PRNG (mulberry32) so statistical tests give the same draws every run.

/** Returns numbers in [0, 1) from a 32-bit seed, like Math.random but repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pearson's chi-square statistic of observed counts against expected proportions. */
export function chiSquare(observed: number[], expectedShares: number[]): number {
  const total = observed.reduce((s, x) => s + x, 0);
  const shareSum = expectedShares.reduce((s, x) => s + x, 0);
  let stat = 0;
  observed.forEach((o, i) => {
    const e = (total * expectedShares[i]!) / shareSum;
    stat += ((o - e) * (o - e)) / e;
  });
  return stat;
}

/** Chi-square critical values at p = 0.001 by degrees of freedom (1-8). */
export const CHI2_P001 = [Number.NaN, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124];
/** Chi-square critical values at p = 1e-6 by degrees of freedom (1-4): for the real RNG. */
export const CHI2_P1E6 = [Number.NaN, 23.928, 27.631, 30.664, 33.377];
