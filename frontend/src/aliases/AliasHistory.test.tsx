import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AliasHistory as History } from '../api/types';
import { AliasHistory } from './AliasHistory';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const V1 = 'a1'.padEnd(64, '0');
const V2 = 'b2'.padEnd(64, '0');
const HISTORY: History = {
  items: [
    { artifactId: V1, previousArtifactId: null, changedAt: '2026-11-01T10:00:00Z', changedBy: 'ana' },
    { artifactId: V2, previousArtifactId: V1, changedAt: '2026-11-05T10:00:00Z', changedBy: 'ci-bot' },
  ],
};

const renderHistory = (body: unknown, status = 200) => {
  const fetch = vi.fn(async () => json(body, status));
  vi.stubGlobal('fetch', fetch);
  render(
    <MemoryRouter>
      <AliasHistory alias="production" current={V2} />
    </MemoryRouter>,
  );
  return fetch;
};

describe('AliasHistory', () => {
  it('lists the moves of an alias newest first, linking each version and marking this one', async () => {
    const fetch = renderHistory(HISTORY);
    const table = await screen.findByRole('table', { name: 'History of alias production' });
    expect(fetch).toHaveBeenCalledWith('/api/v1/aliases/production/history', expect.anything());

    const [newest, oldest] = within(table).getAllByRole('row').slice(1);
    expect(newest.textContent).toContain('ci-bot');
    expect(newest.textContent).toContain('(this version)');
    expect(
      within(newest)
        .getAllByRole('link')
        .map((l) => l.getAttribute('href')),
    ).toEqual([`/artifacts/${V2}`, `/artifacts/${V1}`]);
    expect(oldest.textContent).toContain('ana');
    expect(oldest.textContent).toContain('(created)');
  });

  it('says when an alias has no recorded moves', async () => {
    renderHistory({ items: [] });
    expect(await screen.findByText('No recorded moves of production.')).toBeTruthy();
  });

  it('shows loading, then the error when the history cannot be read', async () => {
    renderHistory({ title: 'Forbidden', detail: 'not yours' }, 403);
    expect(screen.getByRole('status').textContent).toContain('Loading history of production');
    expect((await screen.findByRole('alert')).textContent).toContain('not yours');
  });
});
