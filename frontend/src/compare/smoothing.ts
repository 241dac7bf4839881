// Curve smoothing as Weights & Biases does it: an exponential moving average, debiased so the first
// points are not pulled towards zero. Pure, so it is tested alone.

/**
 * EMA of `values` with `weight` in [0, 1): 0 returns the values unchanged, 0.99 is very smooth.
 * Missing points (null, NaN) stay missing and do not reset the average.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.map((v) => (v === null || !Number.isFinite(v) ? null : v));
  let last = 0;
  let debias = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    debias = debias * w + (1 - w);
    return last / debias;
  });
}
