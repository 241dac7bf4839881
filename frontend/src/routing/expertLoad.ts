// The routing metrics an MoE step logs (trainer moe.py for training, route_stats.py for route-stats), read
// as one layer × expert grid instead of one chart per expert: 8 experts × 32 layers would be 256 charts.
import type { MetricPoint } from '../api/types';
import { groupMetrics, type MetricSeries } from '../runs/metrics';
import type { Grid } from './profile';

/** `moe/layer{i}/load/expert{j}`: share of a layer's routed choices (sums to 1); route-stats logs frequency. */
const PER_EXPERT = /^(moe|route)\/layer(\d+)\/(load|frequency)\/expert(\d+)$/;
const ENTROPY = /^(moe|route)\/layer(\d+)\/entropy$/;
/** The losses the router adds during training, drawn next to the grid. */
export const ROUTER_LOSSES = ['moe/aux_loss', 'moe/z_loss'];

/** True for one expert's value (`moe/layer{i}/load/expert{j}`, `route/layer{i}/frequency/expert{j}`). */
export function isPerExpertMetric(name: string): boolean {
  return PER_EXPERT.test(name);
}

/** True for the metrics the expert-load panel draws, which the generic chart grid therefore leaves out. */
export function isRoutingMetric(name: string): boolean {
  return PER_EXPERT.test(name) || ENTROPY.test(name) || ROUTER_LOSSES.includes(name);
}

export interface ExpertLoad {
  /** `load` while training (shares summing to 1 per layer), `frequency` from route-stats (summing to k). */
  quantity: 'load' | 'frequency';
  /** The latest step that logged per-expert values: the grid shows that step. */
  step: number;
  /** layers × experts; null where a layer has fewer experts than the widest. */
  grid: Grid;
  /** Experts of each layer, as many as it logged. */
  layerExperts: number[];
  /** Router entropy of each layer over steps, named `layer {i}`. */
  entropy: MetricSeries[];
  /** moe/aux_loss and moe/z_loss over steps, those present. */
  losses: MetricSeries[];
}

/** The panel's data from a step's metric points; null for a dense step (no per-expert metrics). */
export function expertLoad(points: MetricPoint[]): ExpertLoad | null {
  const perExpert: { source: string; quantity: string; layer: number; expert: number; p: MetricPoint }[] = [];
  for (const p of points) {
    const m = PER_EXPERT.exec(p.name);
    if (m && Number.isFinite(p.value))
      perExpert.push({ source: m[1], quantity: m[3], layer: Number(m[2]), expert: Number(m[4]), p });
  }
  if (perExpert.length === 0) return null;
  // A training step logs moe/…; prefer it should a step ever log both.
  const source = perExpert.some((x) => x.source === 'moe') ? 'moe' : 'route';
  const mine = perExpert.filter((x) => x.source === source);
  const step = Math.max(...mine.map((x) => x.p.step));
  const latest = mine.filter((x) => x.p.step === step);
  const layers = Math.max(...latest.map((x) => x.layer)) + 1;
  const layerExperts = Array.from({ length: layers }, (_, i) =>
    Math.max(0, ...latest.filter((x) => x.layer === i).map((x) => x.expert + 1)),
  );
  const width = Math.max(...layerExperts);
  const grid: Grid = Array.from({ length: layers }, () => Array<number | null>(width).fill(null));
  for (const x of latest) grid[x.layer][x.expert] = x.p.value;

  const entropy = groupMetrics(points.filter((p) => ENTROPY.exec(p.name)?.[1] === source))
    .map((s) => ({ ...s, name: `layer ${ENTROPY.exec(s.name)?.[2]}` }))
    .sort((a, b) => Number(a.name.slice(6)) - Number(b.name.slice(6)));
  const losses = groupMetrics(points.filter((p) => ROUTER_LOSSES.includes(p.name)));
  return { quantity: source === 'moe' ? 'load' : 'frequency', step, grid, layerExperts, entropy, losses };
}
