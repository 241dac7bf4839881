// One metric of one step across runs, as curves on a shared x axis (step, tokens seen or wall time).
import type { MetricPoint } from '../api/types';
import type { XAxis } from './compareState';
import { ema } from './smoothing';
import { alignOnX } from '../common/chart/useUPlot';

/** Metric names that are the x of another axis, or constants: never offered as a curve. */
const X_METRICS: Record<Exclude<XAxis, 'step'>, string[]> = {
  tokens: ['tokens', 'tokens_seen'],
  time: ['elapsed_s', 'wall_s', 'time_s'],
};

export interface Curve {
  runId: string;
  x: number[];
  y: (number | null)[];
}

/** The x axes these points can be drawn over: step always, tokens / time when a metric carries them. */
export function availableAxes(pointsPerRun: MetricPoint[][]): XAxis[] {
  const names = new Set(pointsPerRun.flat().map((p) => p.name));
  return [
    'step',
    ...(Object.keys(X_METRICS) as Exclude<XAxis, 'step'>[]).filter((axis) =>
      X_METRICS[axis].some((n) => names.has(n)),
    ),
  ];
}

/**
 * Metrics worth a curve: more than one point, not constant, and not an axis. `total_steps`, `eta_s`
 * and a final `parameters` count are left out this way.
 */
export function curveMetrics(pointsPerRun: MetricPoint[][]): string[] {
  const by = new Map<string, Set<number>>();
  const count = new Map<string, number>();
  for (const points of pointsPerRun)
    for (const p of points) {
      if (!Number.isFinite(p.value)) continue;
      if (!by.has(p.name)) by.set(p.name, new Set());
      by.get(p.name)!.add(p.value);
      count.set(p.name, (count.get(p.name) ?? 0) + 1);
    }
  const axes = new Set(Object.values(X_METRICS).flat());
  const chosen = [...by.keys()].filter(
    (n) => !axes.has(n) && n !== 'eta_s' && (count.get(n) ?? 0) > 1 && by.get(n)!.size > 1,
  );
  const rank = (n: string) => (n === 'loss' ? 0 : n.endsWith('loss') ? 1 : 2);
  return chosen.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** x of each step for one run: the step itself, or the axis metric interpolated between its points. */
function xOf(points: MetricPoint[], axis: XAxis): ((step: number) => number | null) | null {
  if (axis === 'step') return (s) => s;
  const names = X_METRICS[axis];
  const known = points
    .filter((p) => names.includes(p.name) && Number.isFinite(p.value))
    .map((p) => [p.step, p.value] as const)
    .sort((a, b) => a[0] - b[0]);
  if (known.length === 0) return null;
  return (s) => {
    let lo = 0;
    let hi = known.length - 1;
    if (s <= known[0][0]) return s === known[0][0] ? known[0][1] : (known[0][1] * s) / (known[0][0] || 1);
    if (s >= known[hi][0]) return s === known[hi][0] ? known[hi][1] : null;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (known[mid][0] <= s) lo = mid;
      else hi = mid;
    }
    const [s0, x0] = known[lo];
    const [s1, x1] = known[hi];
    return x0 + ((x1 - x0) * (s - s0)) / (s1 - s0);
  };
}

/** The metric's curve per run, sorted by x and smoothed; runs without the metric get an empty curve. */
export function buildCurves(
  runIds: string[],
  pointsPerRun: MetricPoint[][],
  metric: string,
  axis: XAxis,
  smoothing: number,
): Curve[] {
  return runIds.map((runId, i) => {
    const points = pointsPerRun[i] ?? [];
    const toX = xOf(points, axis);
    const pairs: [number, number][] = [];
    if (toX)
      for (const p of points) {
        if (p.name !== metric || !Number.isFinite(p.value)) continue;
        const x = toX(p.step);
        if (x !== null && Number.isFinite(x)) pairs.push([x, p.value]);
      }
    pairs.sort((a, b) => a[0] - b[0]);
    return {
      runId,
      x: pairs.map((p) => p[0]),
      y: ema(
        pairs.map((p) => p[1]),
        smoothing,
      ),
    };
  });
}

/** uPlot's shape: one shared, sorted x and a y per curve with nulls where that curve has no point. */
export function alignCurves(curves: Curve[]): [number[], ...(number | null)[][]] {
  return alignOnX(curves);
}
