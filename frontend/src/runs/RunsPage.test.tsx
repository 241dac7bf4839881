import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../api/types';
import { RunsPage } from './RunsPage';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
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
      if (u.searchParams.get('cursor') === 'c1')
        return json({ items: Array.from({ length: 5 }, (_, i) => run(1000 - 100 - i)), nextCursor: null });
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
  }, 20_000); // a hundred rendered rows take more than the default 5 s on a busy 2-core machine

  it('sends every filter of a deep link to the server and shows it in the controls', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      json(url.startsWith('/api/v1/templates') ? { items: [] } : { items: [run(1)], nextCursor: null }),
    );
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter
        initialEntries={[
          '/runs?team=team-x&launchedBy=alice&createdFrom=2025-01-01&createdTo=2025-01-31&q=run-2025',
        ]}
      >
        <RunsPage />
      </MemoryRouter>,
    );
    await screen.findByRole('link', { name: 'run-00001' });
    const asked = runRequests(fetchMock)[0];
    expect(Object.fromEntries(asked.searchParams)).toMatchObject({
      team: 'team-x',
      launchedBy: 'alice',
      createdFrom: '2025-01-01',
      createdTo: '2025-01-31',
      q: 'run-2025',
    });
    expect(screen.getByLabelText('Team')).toHaveProperty('value', 'team-x');
    expect(screen.getByLabelText('Launched by')).toHaveProperty('value', 'alice');
    expect(screen.getByLabelText('Created from')).toHaveProperty('value', '2025-01-01');
    expect(screen.getByLabelText('to')).toHaveProperty('value', '2025-01-31');
    expect(screen.getByLabelText('Search')).toHaveProperty('value', 'run-2025');
  });

  it('searches on the server once typing pauses, keeping the search in the URL with the other filters', async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/templates')) return json({ items: [] });
      const q = new URL(url, 'http://x').searchParams.get('q');
      return json({ items: q === 'ali' ? [run(7)] : [run(1), run(2)], nextCursor: null });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/runs?status=FAILED']}>
        <RunsPage />
        <Location />
      </MemoryRouter>,
    );
    await screen.findByRole('link', { name: 'run-00002' });
    const search = screen.getByLabelText('Search');
    fireEvent.change(search, { target: { value: 'a' } });
    fireEvent.change(search, { target: { value: 'ali' } });
    await screen.findByRole('link', { name: 'run-00007' });
    expect(screen.queryByRole('link', { name: 'run-00002' })).toBeNull();
    expect(screen.getByTestId('location').textContent).toBe('/runs?status=FAILED&q=ali');
    // one request for the typed text, none for the keystroke before the pause
    expect(runRequests(fetchMock).map((u) => u.searchParams.get('q'))).not.toContain('a');
    expect(runRequests(fetchMock).at(-1)?.searchParams.get('status')).toBe('FAILED');
  });

  it('says nothing matches when the filters find no runs, and clears them with one button', async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/templates')) return json({ items: [] });
      const filtered = new URL(url, 'http://x').searchParams.has('launchedBy');
      return json({ items: filtered ? [] : [run(3)], nextCursor: null });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/runs?launchedBy=nobody']}>
        <RunsPage />
        <Location />
      </MemoryRouter>,
    );
    await screen.findByText('No runs match these filters.');
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await screen.findByRole('link', { name: 'run-00003' });
    expect(screen.getByTestId('location').textContent).toBe('/runs');
    expect(screen.getByLabelText('Launched by')).toHaveProperty('value', '');
  });

  it('shows the server refusing a bad filter', async () => {
    vi.stubGlobal('fetch', async (url: string) =>
      url.startsWith('/api/v1/templates')
        ? json({ items: [] })
        : new Response(
            JSON.stringify({
              status: 400,
              title: 'Bad Request',
              detail: 'createdTo: must be after createdFrom',
              errors: [{ path: 'createdTo', message: 'must be after createdFrom' }],
            }),
            { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
          ),
    );
    render(
      <MemoryRouter initialEntries={['/runs?createdFrom=2025-02-01&createdTo=2025-01-01']}>
        <RunsPage />
      </MemoryRouter>,
    );
    expect((await screen.findByRole('alert')).textContent).toContain('must be after createdFrom');
  });
});

function Location() {
  const l = useLocation();
  return <output data-testid="location">{l.pathname + l.search}</output>;
}

function runRequests(fetchMock: { mock: { calls: unknown[][] } }): URL[] {
  return fetchMock.mock.calls
    .map(([u]) => new URL(String(u), 'http://x'))
    .filter((u) => u.pathname === '/api/v1/runs');
}
