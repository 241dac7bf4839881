// What differs between compared runs: the template version, every launch parameter, and the metrics
// each evaluate step recorded, with the best value per metric marked. Pure functions over API views.
import type { Run } from '../api/types';
import { formatDuration } from '../common/format';

export interface DiffRow {
  /** `template`, `param.seed`, … */
  key: string;
  label: string;
  /** One display value per run; '—' where a run has none. */
  values: string[];
  /** True when at least two runs show different values. */
  differs: boolean;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function row(key: string, label: string, values: string[]): DiffRow {
  return { key, label, values, differs: new Set(values).size > 1 };
}

/** Rows of the config diff: what a run was launched from and with, then how it went. */
export function runDiff(runs: Run[]): DiffRow[] {
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.params ?? {})))].sort();
  return [
    row(
      'template',
      'template',
      runs.map((r) => `${r.template}@${r.templateVersion}`),
    ),
    ...params.map((p) =>
      row(
        `param.${p}`,
        p,
        runs.map((r) => show(r.params?.[p])),
      ),
    ),
    row(
      'status',
      'status',
      runs.map((r) => r.status),
    ),
    row(
      'duration',
      'duration',
      runs.map((r) => formatDuration(r.startedAt, r.finishedAt)),
    ),
  ];
}

/** Loss, perplexity and error shrink as a model gets better; every other score grows. */
export function higherIsBetter(metric: string): boolean {
  return !/(loss|perplexity|ppl|error|_s$|latency)/i.test(metric);
}

export interface EvalRow {
  step: string;
  metric: string;
  higherIsBetter: boolean;
  values: (number | null)[];
  /** Indices of the runs holding the best value (ties all win); empty with fewer than two values or all equal. */
  best: number[];
}

/**
 * The final metrics of every evaluate step, one row per (step, metric), one column per run. A step's
 * last attempt that recorded metrics counts (a retry's scores replace the failed attempt's).
 */
export function evalRows(runs: Run[], evaluateKinds: ReadonlySet<string> = new Set(['evaluate'])): EvalRow[] {
  const keys = new Map<string, { step: string; metric: string }>();
  const values = new Map<string, (number | null)[]>();
  runs.forEach((run, col) => {
    for (const step of run.steps) {
      if (!evaluateKinds.has(step.kind)) continue;
      const scored = [...step.attempts].reverse().find((a) => a.metrics && Object.keys(a.metrics).length);
      for (const [metric, value] of Object.entries(scored?.metrics ?? {})) {
        if (!Number.isFinite(value)) continue;
        const k = `${step.id}\u0000${metric}`;
        if (!keys.has(k)) {
          keys.set(k, { step: step.id, metric });
          values.set(k, Array(runs.length).fill(null));
        }
        values.get(k)![col] = value;
      }
    }
  });
  return [...keys.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, { step, metric }]) => {
      const vs = values.get(k)!;
      const hib = higherIsBetter(metric);
      return { step, metric, higherIsBetter: hib, values: vs, best: bestOf(vs, hib) };
    });
}

/** Where every run scored the same there is no best: marking them all would only add noise. */
export function bestOf(values: (number | null)[], higherIsBetter: boolean): number[] {
  const present = values.filter((v): v is number => v !== null);
  if (present.length < 2 || new Set(present).size === 1) return [];
  const target = higherIsBetter ? Math.max(...present) : Math.min(...present);
  return values.flatMap((v, i) => (v === target ? [i] : []));
}
