// The compare page's state lives in the URL, so a comparison is a link: reloading it, or sending it,
// restores the runs, the metric, the smoothing and the axes.

export type XAxis = 'step' | 'tokens' | 'time';

export interface CompareState {
  /** 2–10 run ids, in the order the user picked them (their colours follow it). */
  runs: string[];
  /** The training step whose metrics are drawn, e.g. `pretrain`; empty: the first one with metrics. */
  step: string;
  /** The metric drawn, e.g. `loss`; empty: the step's first. */
  metric: string;
  /** EMA weight, 0 (raw) to 0.99. */
  smoothing: number;
  logY: boolean;
  x: XAxis;
}

export const MAX_RUNS = 10;
const X_AXES: XAxis[] = ['step', 'tokens', 'time'];

export function parseCompareState(search: URLSearchParams): CompareState {
  const runs = [
    ...new Set(
      (search.get('runs') ?? '')
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ].slice(0, MAX_RUNS);
  const smooth = Number(search.get('smooth') ?? '0');
  const x = search.get('x') as XAxis;
  return {
    runs,
    step: search.get('step') ?? '',
    metric: search.get('metric') ?? '',
    smoothing: Number.isFinite(smooth) ? Math.min(Math.max(smooth, 0), 0.99) : 0,
    logY: search.get('log') === '1',
    x: X_AXES.includes(x) ? x : 'step',
  };
}

/** The query string of a state; defaults are left out so links stay short. */
export function compareSearch(state: CompareState): URLSearchParams {
  const q = new URLSearchParams();
  q.set('runs', state.runs.join(','));
  if (state.step) q.set('step', state.step);
  if (state.metric) q.set('metric', state.metric);
  if (state.smoothing > 0) q.set('smooth', String(state.smoothing));
  if (state.logY) q.set('log', '1');
  if (state.x !== 'step') q.set('x', state.x);
  return q;
}

/** Where the runs list and a template's history send a selection. */
export function compareHref(runIds: string[]): string {
  return `/compare?${compareSearch({ runs: runIds, step: '', metric: '', smoothing: 0, logY: false, x: 'step' })}`;
}
