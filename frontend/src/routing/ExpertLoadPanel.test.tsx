import { render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricPoint } from '../api/types';
import { MemoryRouter } from 'react-router-dom';
import type { Run } from '../api/types';
import { StepMetrics } from '../runs/StepMetrics';
import { StepPanel } from '../runs/StepPanel';
// The metric points of a real 6-step pretrain of an 8-expert, 2-layer Mixtral (fixtures/make_fixtures.py).
import pretrain from './fixtures/moe-pretrain-metrics.json';
import { expertLoad } from './expertLoad';

// uPlot draws on a canvas, which jsdom lacks: the charts are stood in for by what they were given.
vi.mock('../runs/MetricChart', () => ({
  MetricChart: ({ series }: { series: { name: string; steps: number[] } }) => (
    <div data-testid={`chart-${series.name}`}>{series.steps.length} points</div>
  ),
}));
vi.mock('./OverlayChart', () => ({
  OverlayChart: ({ label, series }: { label: string; series: { name: string; steps: number[] }[] }) => (
    <div data-testid={`overlay-${label}`}>{series.map((s) => `${s.name}: ${s.steps.length}`).join('; ')}</div>
  ),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const POINTS = pretrain.points as MetricPoint[];
const upTo = (step: number) => POINTS.filter((p) => p.step <= step);
const value = (step: number, name: string) => POINTS.find((p) => p.step === step && p.name === name)?.value;

function serve(...responses: MetricPoint[][]) {
  let call = 0;
  const fetchMock = vi.fn(async () => {
    const points = responses[Math.min(call++, responses.length - 1)];
    return new Response(JSON.stringify({ points }), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

const cell = (root: HTMLElement, row: number, col: number) =>
  root.querySelector(`[data-cell="${row},${col}"]`) as SVGGElement;

describe('expert load panel', () => {
  it('draws the latest step’s load as one layer × expert heatmap and no chart per expert', async () => {
    serve(POINTS);
    render(<StepMetrics runId="r" stepId="pretrain" live={false} />);
    const map = await screen.findByTestId('expert-load-heatmap');
    expect(screen.getByTestId('expert-load-step').textContent).toBe('step 6');
    expect(map.querySelectorAll('[data-cell]')).toHaveLength(16);
    for (const [i, j] of [
      [0, 0],
      [0, 3],
      [1, 5],
    ])
      expect(Number(cell(map, i, j).getAttribute('data-value'))).toBe(
        value(6, `moe/layer${i}/load/expert${j}`),
      );
    expect(cell(map, 0, 0).querySelector('title')?.textContent).toBe(
      'layer 0, expert 0: load 0.328 at step 6',
    );
    expect(screen.getByText(/uniform is 0.125/)).toBeTruthy();
    // the entropy of both layers on one chart, the router losses beside it, all six steps each
    expect(screen.getByTestId('overlay-router entropy').textContent).toBe('layer 0: 6; layer 1: 6');
    const panel = screen.getByTestId('expert-load');
    expect(within(panel).getByTestId('chart-moe/aux_loss').textContent).toBe('6 points');
    expect(within(panel).getByTestId('chart-moe/z_loss').textContent).toBe('6 points');
    // the generic grid keeps the training curves and draws none of the 16 per-expert series
    expect(screen.getByTestId('chart-loss').textContent).toBe('6 points');
    expect(screen.getByTestId('chart-grad_norm')).toBeTruthy();
    expect(screen.queryAllByTestId(/^chart-moe\/layer/)).toHaveLength(0);
    expect(screen.getAllByTestId(/^chart-moe\//)).toHaveLength(2);
  });

  it('updates the heatmap as a live run logs new steps', async () => {
    const fetchMock = serve(upTo(2), POINTS);
    render(<StepMetrics runId="r" stepId="pretrain" live />);
    const step = await screen.findByTestId('expert-load-step');
    expect(step.textContent).toBe('step 2 · updating live');
    expect(Number(cell(screen.getByTestId('expert-load-heatmap'), 1, 6).getAttribute('data-value'))).toBe(
      value(2, 'moe/layer1/load/expert6'),
    );
    // StepMetrics polls every 3 s while the step runs
    await vi.waitFor(
      () => expect(screen.getByTestId('expert-load-step').textContent).toBe('step 6 · updating live'),
      {
        timeout: 5000,
      },
    );
    expect(fetchMock.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(Number(cell(screen.getByTestId('expert-load-heatmap'), 1, 6).getAttribute('data-value'))).toBe(
      value(6, 'moe/layer1/load/expert6'),
    );
    expect(screen.getByTestId('overlay-router entropy').textContent).toBe('layer 0: 6; layer 1: 6');
  });

  it('counts the per-expert values in the attempt’s final metrics instead of listing them', async () => {
    serve(POINTS);
    const last = Object.fromEntries(POINTS.filter((p) => p.step === 6).map((p) => [p.name, p.value]));
    const run: Run = {
      id: 'r',
      executions: 1,
      template: 'moe',
      templateVersion: 1,
      status: 'SUCCEEDED',
      createdAt: '2026-12-01T10:00:00Z',
      startedAt: '2026-12-01T10:00:00Z',
      finishedAt: '2026-12-01T10:01:00Z',
      launchedBy: 'local',
      params: {},
      error: null,
      triggeredBy: null,
      steps: [
        {
          id: 'pretrain',
          kind: 'pretrain',
          status: 'SUCCEEDED',
          needs: [],
          outputs: {},
          attempts: [
            {
              attempt: 1,
              status: 'SUCCEEDED',
              worker: 'w',
              startedAt: '2026-12-01T10:00:00Z',
              finishedAt: '2026-12-01T10:01:00Z',
              error: null,
              metrics: last,
              cacheHitOf: null,
            },
          ],
        },
      ],
    };
    render(
      <MemoryRouter>
        <StepPanel run={run} step={run.steps[0]} spec={null} busy={false} onApprove={() => {}} />
      </MemoryRouter>,
    );
    const cellText =
      (await screen.findByText(/per-expert values, in Expert load below/)).parentElement?.textContent ?? '';
    expect(cellText).toContain('(+16 per-expert values, in Expert load below)');
    expect(cellText).toContain('moe/aux_loss=');
    expect(cellText).toContain('loss=');
    expect(cellText).not.toContain('load/expert');
  });

  it('shows nothing new for a dense run', async () => {
    serve(POINTS.filter((p) => !p.name.startsWith('moe/')));
    render(<StepMetrics runId="r" stepId="pretrain" live={false} />);
    expect((await screen.findByTestId('chart-loss')).textContent).toBe('6 points');
    expect(screen.queryByTestId('expert-load')).toBeNull();
  });

  it('reads layers that logged different expert counts', () => {
    const load = expertLoad([
      ...[0.5, 0.25, 0.125, 0.125].map((v, j) => ({ step: 3, name: `moe/layer0/load/expert${j}`, value: v })),
      ...[0.5, 0.5].map((v, j) => ({ step: 3, name: `moe/layer1/load/expert${j}`, value: v })),
      { step: 1, name: 'moe/layer1/load/expert0', value: 1 },
    ]);
    expect(load?.step).toBe(3);
    expect(load?.layerExperts).toEqual([4, 2]);
    expect(load?.grid).toEqual([
      [0.5, 0.25, 0.125, 0.125],
      [0.5, 0.5, null, null],
    ]);
  });

  it('turns route-stats frequencies into the same grid', () => {
    const load = expertLoad([
      { step: 0, name: 'route/tokens', value: 480 },
      { step: 0, name: 'route/layer0/entropy', value: 0.3 },
      ...[0.4, 1.6].map((v, j) => ({ step: 0, name: `route/layer0/frequency/expert${j}`, value: v })),
    ]);
    expect(load?.quantity).toBe('frequency');
    expect(load?.grid).toEqual([[0.4, 1.6]]);
    expect(load?.entropy.map((s) => s.name)).toEqual(['layer 0']);
  });
});
