import { describe, expect, it } from 'vitest';
import type { MetricPoint, Run } from '../api/types';
import { compareHref, compareSearch, parseCompareState, type CompareState } from './compareState';
import { alignCurves, availableAxes, buildCurves, curveMetrics } from './curves';
import { bestOf, evalRows, higherIsBetter, runDiff } from './runDiff';
import { ema } from './smoothing';

describe('ema smoothing', () => {
  it('leaves the curve as it is at weight 0', () => {
    expect(ema([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it('is debiased like W&B: the first point is itself, later ones pulled towards the past', () => {
    const s = ema([10, 0, 0], 0.5) as number[];
    expect(s[0]).toBe(10);
    // after two points: average 2.5 over a debias weight of 0.75
    expect(s[1]).toBeCloseTo(5 / 1.5, 10);
    expect(s[2]).toBeCloseTo(2.5 / 1.75, 10);
  });

  it('keeps a constant curve constant at any weight, and skips missing points', () => {
    expect(ema([4, 4, null, 4], 0.9)).toEqual([4, 4, null, 4]);
  });
});

describe('compare URL state', () => {
  const state: CompareState = {
    runs: ['run-a', 'run-b', 'run-c'],
    step: 'pretrain',
    metric: 'loss',
    smoothing: 0.6,
    logY: true,
    x: 'tokens',
  };

  it('round-trips through the query string', () => {
    const q = compareSearch(state);
    expect(parseCompareState(new URLSearchParams(q.toString()))).toEqual(state);
  });

  it('leaves defaults out of the link and fills them back in', () => {
    const href = compareHref(['run-a', 'run-b']);
    expect(href).toBe('/compare?runs=run-a%2Crun-b');
    expect(parseCompareState(new URLSearchParams(href.split('?')[1]))).toEqual({
      runs: ['run-a', 'run-b'],
      step: '',
      metric: '',
      smoothing: 0,
      logY: false,
      x: 'step',
    });
  });

  it('drops duplicate runs, keeps at most ten, and clamps nonsense', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const s = parseCompareState(new URLSearchParams(`runs=r0,r0,${ids.join(',')}&smooth=7&x=weird`));
    expect(s.runs).toEqual(ids.slice(0, 10));
    expect(s.smoothing).toBe(0.99);
    expect(s.x).toBe('step');
  });
});

const pt = (step: number, name: string, value: number): MetricPoint => ({ step, name, value });

describe('curves', () => {
  const a = [
    pt(10, 'loss', 4),
    pt(10, 'tokens', 1000),
    pt(10, 'total_steps', 30),
    pt(20, 'loss', 3),
    pt(20, 'tokens', 2000),
    pt(20, 'total_steps', 30),
    pt(30, 'loss', 2),
    pt(30, 'tokens', 3000),
    pt(30, 'total_steps', 30),
    pt(30, 'eta_s', 0),
    pt(30, 'parameters', 500000),
  ];
  const b = [pt(10, 'loss', 5), pt(20, 'loss', 1), pt(20, 'tokens', 2500), pt(10, 'tokens', 1250)];

  it('offers only metrics that change: no constants, counters of the axis, or single points', () => {
    expect(curveMetrics([a, b])).toEqual(['loss']);
  });

  it('offers tokens as an axis when the metrics carry them, wall time only then too', () => {
    expect(availableAxes([a, b])).toEqual(['step', 'tokens']);
    expect(availableAxes([[pt(1, 'loss', 1), pt(1, 'elapsed_s', 3)]])).toEqual(['step', 'time']);
  });

  it('draws each run over tokens seen, on one shared x axis', () => {
    const curves = buildCurves(['a', 'b'], [a, b], 'loss', 'tokens', 0);
    expect(curves[0]).toEqual({ runId: 'a', x: [1000, 2000, 3000], y: [4, 3, 2] });
    expect(curves[1]).toEqual({ runId: 'b', x: [1250, 2500], y: [5, 1] });
    expect(alignCurves(curves)).toEqual([
      [1000, 1250, 2000, 2500, 3000],
      [4, null, 3, null, 2],
      [null, 5, null, 1, null],
    ]);
  });

  it('smooths each run on its own', () => {
    const [c] = buildCurves(['b'], [b], 'loss', 'step', 0.5);
    expect(c.y).toEqual(ema([5, 1], 0.5));
  });
});

function run(id: string, params: Record<string, unknown>, evalMetrics: Record<string, number> | null): Run {
  return {
    id,
    template: 'demo',
    templateVersion: 1,
    status: 'SUCCEEDED',
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:02:05Z',
    launchedBy: 'local',
    executions: 1,
    params: params as Run['params'],
    error: null,
    triggeredBy: null,
    steps: [
      {
        id: 'eval',
        kind: 'evaluate',
        status: 'SUCCEEDED',
        needs: [],
        outputs: {},
        attempts: [
          {
            attempt: 1,
            status: 'SUCCEEDED',
            worker: null,
            startedAt: null,
            finishedAt: null,
            error: null,
            metrics: evalMetrics,
            cacheHitOf: null,
          },
        ],
      },
    ],
  };
}

describe('run diff and evals', () => {
  const runs = [
    run('r1', { seed: 0, min_accuracy: 0.5 }, { exact_match: 0.4, perplexity: 3.1 }),
    run('r2', { seed: 1, min_accuracy: 0.5 }, { exact_match: 0.7, perplexity: 3.4 }),
    run('r3', { seed: 2, min_accuracy: 0.5 }, { exact_match: 0.7, perplexity: 2.9 }),
  ];

  it('marks the rows whose values differ between runs', () => {
    const rows = runDiff(runs);
    const seed = rows.find((r) => r.key === 'param.seed')!;
    expect(seed.values).toEqual(['0', '1', '2']);
    expect(seed.differs).toBe(true);
    expect(rows.find((r) => r.key === 'param.min_accuracy')!.differs).toBe(false);
    expect(rows.find((r) => r.key === 'template')!.values).toEqual(['demo@1', 'demo@1', 'demo@1']);
    expect(rows.find((r) => r.key === 'duration')!.values).toEqual(['2m 5s', '2m 5s', '2m 5s']);
  });

  it('marks the best value per metric: highest accuracy (ties both), lowest perplexity', () => {
    const rows = evalRows(runs);
    expect(rows.map((r) => `${r.step}/${r.metric}`)).toEqual(['eval/exact_match', 'eval/perplexity']);
    expect(rows[0].best).toEqual([1, 2]);
    expect(rows[1].best).toEqual([2]);
    expect(rows[1].higherIsBetter).toBe(false);
  });

  it('shows a dash, and marks nothing, where only one run has a score', () => {
    const rows = evalRows([run('r1', {}, { accuracy: 0.5 }), run('r2', {}, null)]);
    expect(rows[0].values).toEqual([0.5, null]);
    expect(rows[0].best).toEqual([]);
    expect(bestOf([null, null], true)).toEqual([]);
    // three runs all at 0 accuracy: nobody is best
    expect(bestOf([0, 0, 0], true)).toEqual([]);
  });

  it('knows which way is better', () => {
    expect(higherIsBetter('exact_match')).toBe(true);
    expect(higherIsBetter('eval_loss')).toBe(false);
    expect(higherIsBetter('perplexity')).toBe(false);
  });
});
