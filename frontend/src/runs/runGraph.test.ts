import { describe, expect, it } from 'vitest';
import type { Step } from '../api/types';
import { buildTimeline, dagWithGroups, groupStatus, specStepId, stepEdges } from './runGraph';
import { stepSpecFragment } from './specFragment';
import { groupMetrics, splitSeries } from './metrics';
import { appendPage, mergeRefresh } from './runPages';

const step = (id: string, needs: string[] = [], attempts: Step['attempts'] = []): Step => ({
  id,
  kind: 'command',
  status: attempts.length ? attempts[attempts.length - 1].status : 'PENDING',
  needs,
  attempts,
  outputs: {},
});
const att = (attempt: number, status: Step['status'], startedAt: string, finishedAt: string | null) => ({
  attempt,
  status,
  worker: 'local',
  startedAt,
  finishedAt,
  error: null,
  metrics: null,
  cacheHitOf: null,
});

describe('run graph', () => {
  it('connects needs, fanning a matrix step out to each of its expansions', () => {
    const steps = [
      step('greet'),
      step('shard-0', ['greet']),
      step('shard-1', ['greet']),
      step('join', ['shard']),
    ];
    expect(stepEdges(steps)).toEqual([
      { from: 'greet', to: 'shard-0' },
      { from: 'greet', to: 'shard-1' },
      { from: 'shard-0', to: 'join' },
      { from: 'shard-1', to: 'join' },
    ]);
    expect(specStepId('shard-1', steps)).toBe('shard');
    expect(specStepId('greet', steps)).toBe('greet');
  });

  it('draws a step that follows a fan-out one-to-one, each expansion grouped under its spec step', () => {
    // The planner names a following step's expansions like a matrix step's: eval-i needs prune-i.
    const steps = [
      step('prune-0'),
      step('prune-1'),
      step('eval-0', ['prune-0']),
      step('eval-1', ['prune-1']),
      step('best', ['eval-0', 'eval-1']),
    ];
    expect(stepEdges(steps)).toEqual([
      { from: 'prune-0', to: 'eval-0' },
      { from: 'prune-1', to: 'eval-1' },
      { from: 'eval-0', to: 'best' },
      { from: 'eval-1', to: 'best' },
    ]);
    expect(steps.map((s) => specStepId(s.id, steps))).toEqual(['prune', 'prune', 'eval', 'eval', 'best']);
  });

  it('draws a bar per attempt on a shared time axis, the running one reaching now', () => {
    const steps = [
      step(
        'a',
        [],
        [
          att(1, 'FAILED', '2025-01-01T00:00:00Z', '2025-01-01T00:00:10Z'),
          att(2, 'SUCCEEDED', '2025-01-01T00:00:10Z', '2025-01-01T00:00:30Z'),
        ],
      ),
      step('b', ['a'], [att(1, 'RUNNING', '2025-01-01T00:00:30Z', null)]),
      step('c', ['b']),
    ];
    const t = buildTimeline(steps, Date.parse('2025-01-01T00:00:40Z'))!;
    expect(t.endMs - t.startMs).toBe(40_000);
    expect(t.rows[0].bars.map((b) => [b.left, b.width])).toEqual([
      [0, 0.25],
      [0.25, 0.5],
    ]);
    expect(t.rows[1].bars[0]).toMatchObject({ left: 0.75, width: 0.25, running: true });
    expect(t.rows[2].bars).toEqual([]);
    expect(buildTimeline([step('x')])).toBeNull();
  });

  it('cuts one step block out of a template spec', () => {
    const spec =
      'steps:\n  - id: greet\n    kind: command\n    run: echo hi\n\n  - id: shard\n    kind: command\n    matrix: {part: [1, 2]}\n';
    expect(stepSpecFragment(spec, 'greet')).toBe('- id: greet\n  kind: command\n  run: echo hi');
    expect(stepSpecFragment(spec, 'shard')).toContain('matrix');
    expect(stepSpecFragment(spec, 'nope')).toBeNull();
  });

  it('groups metric points into sorted series, loss first', () => {
    const s = groupMetrics([
      { step: 2, name: 'lr', value: 0.1 },
      { step: 2, name: 'loss', value: 1.5 },
      { step: 1, name: 'loss', value: 2 },
      { step: 3, name: 'loss', value: Number.NaN },
    ]);
    expect(s.map((x) => x.name)).toEqual(['loss', 'lr']);
    expect(s[0]).toMatchObject({ steps: [1, 2], values: [2, 1.5], last: 1.5 });
  });
});

describe('runs pages', () => {
  const r = (id: string) => ({
    id,
    template: 't',
    templateVersion: 1,
    status: 'SUCCEEDED' as const,
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    launchedBy: null,
  });
  it('appends a keyset page without duplicates and keeps loaded rows across a head refresh', () => {
    const first = { items: [r('5'), r('4'), r('3')], nextCursor: 'c1' };
    const both = appendPage(first, { items: [r('3'), r('2'), r('1')], nextCursor: null });
    expect(both.items.map((x) => x.id)).toEqual(['5', '4', '3', '2', '1']);
    const refreshed = mergeRefresh(both, { items: [r('6'), r('5'), r('4')], nextCursor: 'c' }, 3);
    expect(refreshed.items.map((x) => x.id)).toEqual(['6', '5', '4', '3', '2', '1']);
    expect(refreshed.nextCursor).toBeNull();
  });
});

describe('matrix fan-out in the DAG', () => {
  const steps = [
    step('greet'),
    step('shard-0', ['greet'], [att(1, 'SUCCEEDED', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z')]),
    step('shard-1', ['greet'], [att(1, 'RUNNING', '2026-01-01T00:00:00Z', null)]),
    step('shard-2', ['greet']),
    step('join', ['shard']),
  ];

  it('is one group node with its members, and one edge in and out', () => {
    const { nodes, edges } = dagWithGroups(steps);
    expect(nodes.map((n) => [n.id, n.steps.length, n.matrix])).toEqual([
      ['greet', 1, undefined],
      ['shard', 3, 'shard'],
      ['join', 1, undefined],
    ]);
    expect(edges).toEqual([
      { from: 'greet', to: 'shard' },
      { from: 'shard', to: 'join' },
    ]);
    expect(groupStatus(nodes[1].steps)).toBe('RUNNING');
  });

  it('shows every expansion once expanded', () => {
    const { nodes, edges } = dagWithGroups(steps, new Set(['shard']));
    expect(nodes.map((n) => n.id)).toEqual(['greet', 'shard-0', 'shard-1', 'shard-2', 'join']);
    expect(edges).toHaveLength(6);
  });
});

describe('metrics that fit their data', () => {
  it('charts curves only: single points, constants and eta_s go to the values table', () => {
    const { curves, values } = splitSeries(
      groupMetrics([
        { step: 1, name: 'loss', value: 3 },
        { step: 2, name: 'loss', value: 2 },
        { step: 1, name: 'total_steps', value: 2 },
        { step: 2, name: 'total_steps', value: 2 },
        { step: 1, name: 'eta_s', value: 5 },
        { step: 2, name: 'eta_s', value: 0 },
        { step: 2, name: 'exact_match', value: 0.5 },
      ]),
    );
    expect(curves.map((s) => s.name)).toEqual(['loss']);
    expect(values.map((s) => s.name).sort()).toEqual(['eta_s', 'exact_match', 'total_steps']);
  });
});
