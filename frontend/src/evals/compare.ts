import type { EvalResult } from '../api/types';

export interface EvalColumn {
  /** Artifact id. */
  id: string;
  label: string;
  results: EvalResult[];
}

export interface EvalRow {
  suite: string;
  metric: string;
  higherIsBetter: boolean;
  /** One value per column, null where that checkpoint has no result. */
  values: (number | null)[];
  /** Column indices holding the best value (ties all win); empty with fewer than two values. */
  best: number[];
}

/** Rows of suite/metric across checkpoints, with the best per metric marked. */
export function compareEvals(columns: EvalColumn[]): EvalRow[] {
  const keys = new Map<string, { suite: string; metric: string; higherIsBetter: boolean }>();
  for (const c of columns)
    for (const r of c.results) {
      const k = `${r.suite}\u0000${r.metric}`;
      if (!keys.has(k)) keys.set(k, { suite: r.suite, metric: r.metric, higherIsBetter: r.higherIsBetter });
    }
  return [...keys.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, k]) => {
      const values = columns.map((c) => {
        // the newest result wins when a checkpoint was evaluated twice
        const hits = c.results.filter((r) => r.suite === k.suite && r.metric === k.metric);
        hits.sort((x, y) => y.evaluatedAt.localeCompare(x.evaluatedAt));
        return hits.length ? hits[0].value : null;
      });
      const present = values.filter((v): v is number => v !== null);
      let best: number[] = [];
      if (columns.length > 1 && present.length > 1) {
        const target = k.higherIsBetter ? Math.max(...present) : Math.min(...present);
        best = values.flatMap((v, i) => (v === target ? [i] : []));
      }
      return { ...k, values, best };
    });
}
