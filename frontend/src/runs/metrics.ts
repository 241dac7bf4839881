import type { MetricPoint } from '../api/types';

export interface MetricSeries {
  name: string;
  steps: number[];
  values: number[];
  last: number;
}

/** Known training metrics first, in this order; the rest alphabetically. */
const ORDER = [
  'loss',
  'train_loss',
  'eval_loss',
  'val_loss',
  'lr',
  'learning_rate',
  'tokens_per_s',
  'tokens/s',
  'grad_norm',
  'gpu_mem',
  'gpu_memory',
  'gpu_util',
];

/** One series per metric name, sorted by step, non-finite values dropped. */
export function groupMetrics(points: MetricPoint[]): MetricSeries[] {
  const by = new Map<string, [number, number][]>();
  for (const p of points) {
    if (!Number.isFinite(p.value) || !Number.isFinite(p.step)) continue;
    let list = by.get(p.name);
    if (!list) by.set(p.name, (list = []));
    list.push([p.step, p.value]);
  }
  const rank = (n: string) => {
    const i = ORDER.indexOf(n.toLowerCase());
    return i < 0 ? ORDER.length : i;
  };
  return [...by.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, pairs]) => {
      pairs.sort((x, y) => x[0] - y[0]);
      return {
        name,
        steps: pairs.map((p) => p[0]),
        values: pairs.map((p) => p[1]),
        last: pairs[pairs.length - 1][1],
      };
    });
}

/**
 * Curves for charts, and the rest for a table: a metric with one point (an evaluate step's scores)
 * or one value throughout (`total_steps`) is not a curve. `eta_s` counts down to nothing useful
 * once a step is done, so it is a value too.
 */
export function splitSeries(series: MetricSeries[]): { curves: MetricSeries[]; values: MetricSeries[] } {
  const isCurve = (s: MetricSeries) =>
    s.name !== 'eta_s' && s.steps.length > 1 && s.values.some((v) => v !== s.values[0]);
  return { curves: series.filter(isCurve), values: series.filter((s) => !isCurve(s)) };
}
