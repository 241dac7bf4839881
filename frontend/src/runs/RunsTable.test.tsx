import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../api/types';
import { RunsTable } from './RunsTable';

const RUNS: RunSummary[] = [
  {
    id: 'run-0002',
    template: 'domain-cpt',
    templateVersion: 3,
    status: 'RUNNING',
    createdAt: '2025-01-02T10:00:00Z',
    startedAt: '2025-01-02T10:00:05Z',
    finishedAt: null,
    launchedBy: 'alice',
  },
  {
    id: 'run-0001',
    template: 'hello',
    templateVersion: 1,
    status: 'FAILED',
    createdAt: '2025-01-01T09:00:00Z',
    startedAt: '2025-01-01T09:00:00Z',
    finishedAt: '2025-01-01T09:02:30Z',
    launchedBy: null,
  },
];

describe('RunsTable', () => {
  it('renders a row per run with template@version, a status badge, duration and a link', () => {
    render(
      <MemoryRouter>
        <RunsTable runs={RUNS} />
      </MemoryRouter>,
    );

    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);

    const first = within(rows[0]);
    expect(first.getByRole('link', { name: 'run-0002' }).getAttribute('href')).toBe('/runs/run-0002');
    expect(rows[0].textContent).toContain('domain-cpt@3');
    const running = first.getByTestId('status-badge');
    expect(running.textContent).toBe('RUNNING');
    expect(running.className).toContain('badge-running');

    const second = within(rows[1]);
    const failed = second.getByTestId('status-badge');
    expect(failed.textContent).toBe('FAILED');
    expect(failed.className).toContain('badge-failed');
    expect(rows[1].textContent).toContain('hello@1');
    expect(rows[1].textContent).toContain('2m 30s');
  });
});
