import { render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../api/types';
import { RunsPage } from './RunsPage';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const run = (i: number): RunSummary => ({
  id: `run-${String(i).padStart(5, '0')}`,
  template: 'hello',
  templateVersion: 1,
  status: 'SUCCEEDED',
  createdAt: '2025-01-01T00:00:00Z',
  startedAt: null,
  finishedAt: null,
  launchedBy: 'local',
});

describe('RunsPage', () => {
  it('renders only the rows in view and fetches the next keyset page when the end is reached', async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/templates')) return json({ items: [] });
      const u = new URL(url, 'http://x');
      if (u.searchParams.get('cursor') === 'c1') return json({ items: Array.from({ length: 5 }, (_, i) => run(1000 - 100 - i)), nextCursor: null });
      return json({ items: Array.from({ length: 100 }, (_, i) => run(1000 - i)), nextCursor: 'c1' });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/runs?status=SUCCEEDED']}>
        <RunsPage />
      </MemoryRouter>,
    );
    await screen.findByRole('link', { name: 'run-01000' });
    // 600 px of viewport at 37 px a row plus overscan: far fewer than the 100 loaded rows are in the DOM
    const rows = screen.getAllByRole('row').length - 1;
    expect(rows).toBeLessThan(40);
    expect(rows).toBeGreaterThan(10);
    expect(fetchMock.mock.calls.some(([u]) => String(u).includes('status=SUCCEEDED'))).toBe(true);
    expect(fetchMock.mock.calls.some(([u]) => String(u).includes('cursor=c1'))).toBe(false);

    screen.getByRole('button', { name: 'Load more' }).click();
    await waitFor(() => expect(screen.getByText('105 shown', { exact: false })).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});
