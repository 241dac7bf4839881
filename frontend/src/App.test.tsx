import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { Run } from './api/types';

// uPlot draws on a canvas, which jsdom lacks; charts are tested through their data (metrics.test.ts).
vi.mock('./runs/MetricChart', () => ({
  MetricChart: ({ series }: { series: { name: string; steps: number[] } }) => (
    <div data-testid={`chart-${series.name}`}>{series.steps.length} points</div>
  ),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  localStorage.clear();
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const RUN: Run = {
  id: 'r-1',
  executions: 1,
  template: 'gated',
  templateVersion: 2,
  status: 'RUNNING',
  createdAt: '2025-01-01T00:00:00Z',
  startedAt: '2025-01-01T00:00:01Z',
  finishedAt: null,
  launchedBy: 'local',
  params: { lr: 0.001 },
  error: null,
  triggeredBy: null,
  steps: [
    {
      id: 'train',
      kind: 'sft',
      status: 'SUCCEEDED',
      needs: [],
      attempts: [
        {
          attempt: 1,
          status: 'SUCCEEDED',
          worker: 'gpu-0',
          startedAt: '2025-01-01T00:00:01Z',
          finishedAt: '2025-01-01T00:01:00Z',
          error: null,
          metrics: null,
          cacheHitOf: null,
        },
      ],
      outputs: { model: { artifactId: 'sha256:abcdef0123456789abcdef' } },
    },
    { id: 'gate', kind: 'approval', status: 'WAITING_APPROVAL', needs: ['train'], attempts: [], outputs: {} },
  ],
};

describe('App', () => {
  it('asks for the token on 401, trades it for a session cookie and retries', async () => {
    let session = false; // what the browser's HttpOnly cookie jar would hold
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/auth/session' && init.method === 'POST') {
        session = JSON.parse(init.body as string).token === 'tok';
        return session ? new Response(null, { status: 204 }) : json({ title: 'Unauthorized' }, 401);
      }
      return session ? json({ items: [] }) : json({ title: 'Unauthorized' }, 401);
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/templates']}>
        <App />
      </MemoryRouter>,
    );

    fireEvent.change(await screen.findByLabelText('Token'), { target: { value: 'tok' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('No templates registered yet.')).toBeTruthy();
    expect(localStorage.getItem('trainyard.token')).toBeNull();
    expect(localStorage.getItem('trainyard.signedIn')).toBe('1');
  });

  it('says why it asks again when a browser that was signed in gets a 401 (a restart with a new token)', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ title: 'Unauthorized' }, 401)),
    );
    const first = render(
      <MemoryRouter initialEntries={['/templates']}>
        <App />
      </MemoryRouter>,
    );
    await screen.findByLabelText('Token');
    // a first visit: no word about a stale session
    expect(screen.queryByTestId('session-stale')).toBeNull();
    first.unmount();

    localStorage.setItem('trainyard.signedIn', '1'); // what a successful sign-in leaves
    render(
      <MemoryRouter initialEntries={['/templates']}>
        <App />
      </MemoryRouter>,
    );
    expect((await screen.findByTestId('session-stale')).textContent).toContain(
      'the server restarted with a new token',
    );
  });

  it('shows a run with its DAG, timeline, step panel and approves a waiting step after confirmation', async () => {
    const approved: Run = { ...RUN, steps: [RUN.steps[0], { ...RUN.steps[1], status: 'SUCCEEDED' }] };
    let current = RUN;
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/v1/runs/r-1/steps/gate/approve' && init.method === 'POST') {
        current = approved;
        return json(approved, 202);
      }
      if (url === '/api/v1/runs/r-1') return json(current);
      if (url.startsWith('/api/v1/runs/r-1/steps/train/metrics'))
        return json({
          points: [
            { step: 1, name: 'loss', value: 2.5 },
            { step: 2, name: 'loss', value: 2.1 },
          ],
        });
      if (url.startsWith('/api/v1/runs/r-1/steps/train/log'))
        return new Response('epoch 1\nepoch 2\n', { status: 200 });
      if (url === '/api/v1/templates/gated/versions/2')
        return json({
          name: 'gated',
          spec: 'steps:\n  - id: train\n    kind: sft\n    config: {lr: 0.001}\n  - id: gate\n    kind: approval\n',
        });
      return json({ title: 'Not found' }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/runs/r-1?step=train']}>
        <App />
      </MemoryRouter>,
    );

    // the step panel of the selected step: outputs, worker, log tail, metrics, config from the spec
    // the page is lazily loaded (React Flow, uPlot): on a busy machine that takes more than a second
    const link = await screen.findByRole('link', { name: 'abcdef012345…' }, { timeout: 10_000 });
    expect(link.getAttribute('href')).toBe('/artifacts/sha256%3Aabcdef0123456789abcdef');
    expect(screen.getAllByText('gpu-0', { exact: false }).length).toBeGreaterThan(0);
    expect(await screen.findByText(/epoch 2/)).toBeTruthy();
    expect((await screen.findByTestId('chart-loss')).textContent).toBe('2 points');
    expect((await screen.findByText(/config: \{lr: 0.001\}/)).textContent).toContain('- id: train');
    // the DAG has a node per step and the timeline a bar for the attempt that ran
    expect(screen.getByTestId('graph-node-train')).toBeTruthy();
    expect(screen.getByTestId('graph-node-gate').className).toContain('waiting-approval');
    expect(screen.getByTestId('bar-train-1')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog.textContent).toContain('Approve step gate?');
    expect(fetchMock.mock.calls.some(([u]) => String(u).endsWith('/approve'))).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));

    expect(await screen.findByText('Step gate approved.')).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull());
  });

  it('backs out of a cancel with Escape and sends nothing', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url === '/api/v1/runs/r-1' ? json(RUN) : json({ title: 'Not found' }, 404),
    );
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/runs/r-1']}>
        <App />
      </MemoryRouter>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    const dialog = screen.getByRole('alertdialog');
    expect(document.activeElement?.textContent).toBe('Cancel run');
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(fetchMock.mock.calls.some(([u]) => String(u).endsWith('/cancel'))).toBe(false);
  });
});
