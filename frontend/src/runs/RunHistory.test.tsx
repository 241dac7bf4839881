import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HistoryPage } from '../api/types';
import { RunHistory } from './RunHistory';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

// What GET /api/v1/runs/{id}/history answers (HistoryPage in docs/openapi.json), in two pages.
const FIRST: HistoryPage = {
  items: [
    {
      eventId: 1,
      time: '2026-12-02T05:00:00Z',
      type: 'WORKFLOW_EXECUTION_STARTED',
      activity: null,
      stepId: null,
      attempt: null,
      failure: null,
    },
    {
      eventId: 5,
      time: '2026-12-02T05:00:01Z',
      type: 'ACTIVITY_TASK_SCHEDULED',
      activity: 'RunStep',
      stepId: 'broken',
      attempt: null,
      failure: null,
    },
  ],
  nextAfter: 5,
};
const SECOND: HistoryPage = {
  items: [
    {
      eventId: 7,
      time: '2026-12-02T05:00:02Z',
      type: 'ACTIVITY_TASK_FAILED',
      activity: 'RunStep',
      stepId: 'broken',
      attempt: 1,
      failure: 'step exited with 3: no GPU today',
    },
  ],
  nextAfter: null,
};

describe('RunHistory', () => {
  it('lists the events with their step, attempt and failure, and loads the next page on request', async () => {
    const fetch = vi.fn(async (url: string) => json(url.includes('after=5') ? SECOND : FIRST));
    vi.stubGlobal('fetch', fetch);
    render(<RunHistory runId="r-1" />);

    const table = await screen.findByRole('table', { name: 'Event history' });
    expect(within(table).getAllByRole('row')).toHaveLength(3); // header + two events
    expect(fetch.mock.calls[0][0]).toContain('/api/v1/runs/r-1/history?after=0&limit=100');
    fireEvent.click(screen.getByRole('button', { name: 'Load more events' }));

    const failure = await screen.findByText('step exited with 3: no GPU today', undefined, { timeout: 5000 });
    const failed = failure.closest('tr') as HTMLElement;
    expect(within(failed).getByText('ACTIVITY_TASK_FAILED')).toBeTruthy();
    expect(within(failed).getByText('broken')).toBeTruthy();
    expect(within(failed).getByText('1')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Load more events' })).toBeNull();
  });

  it('says why when the history cannot be read', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json(
          { title: 'Service Unavailable', status: 503, detail: 'the workflow service is unavailable' },
          503,
        ),
      ),
    );
    render(<RunHistory runId="r-1" />);
    expect((await screen.findByRole('alert')).textContent).toContain('the workflow service is unavailable');
  });
});
