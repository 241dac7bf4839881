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

/** A chart: a training curve and, where the step evaluated while it trained, its `eval_` twin over it. */
export interface MetricPanel {
  name: string;
  train: MetricSeries;
  evals: MetricSeries | null;
}

/**
 * Charts for a step's metrics: `eval_<m>` (held-out scores every `eval_every` steps, or once at the
 * end) is drawn over the training curve `<m>` or `train_<m>` rather than apart; an eval series with
 * no training twin is a chart (or a value) of its own.
 */
export function panelsOf(series: MetricSeries[]): { panels: MetricPanel[]; values: MetricSeries[] } {
  const { curves, values } = splitSeries(series);
  const curveNames = new Set(curves.map((c) => c.name));
  const twinOf = (s: MetricSeries) => {
    if (!s.name.startsWith('eval_')) return null;
    const base = s.name.slice('eval_'.length);
    return [base, `train_${base}`].find((n) => curveNames.has(n)) ?? null;
  };
  const evalsByTwin = new Map<string, MetricSeries>();
  for (const s of series) {
    const twin = twinOf(s);
    if (twin) evalsByTwin.set(twin, s);
  }
  const paired = new Set([...evalsByTwin.values()].map((s) => s.name));
  return {
    panels: curves
      .filter((c) => !paired.has(c.name))
      .map((c) => ({ name: c.name, train: c, evals: evalsByTwin.get(c.name) ?? null })),
    values: values.filter((v) => !paired.has(v.name)),
  };
}

/** Every step any panel has a point at, ascending: the one x axis all of a step's charts share. */
export function sharedSteps(panels: MetricPanel[]): number[] {
  const all = new Set<number>();
  for (const p of panels) for (const s of [p.train, p.evals]) s?.steps.forEach((x) => all.add(x));
  return [...all].sort((a, b) => a - b);
}

/** A series' values on the shared steps, null where it has no point there. */
export function onSteps(xs: number[], s: MetricSeries): (number | null)[] {
  const out: (number | null)[] = Array(xs.length).fill(null);
  let j = 0;
  // Both ascending: one merge pass, no map, so 100k-step curves stay cheap at every poll.
  s.steps.forEach((step, i) => {
    while (j < xs.length && xs[j] < step) j++;
    if (xs[j] === step) out[j] = s.values[i];
  });
  return out;
}
