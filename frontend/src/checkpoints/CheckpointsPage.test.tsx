import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ArtifactSummary, DatasetVersion } from '../api/types';
import { formatCount, formatShare } from '../common/format';
import { CheckpointsPage } from './CheckpointsPage';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const PRUNED: ArtifactSummary = {
  id: 'aa'.padEnd(64, '1'),
  type: 'checkpoint',
  name: 'tiny-pruned',
  sizeBytes: 2048,
  createdAt: '2026-11-01T10:00:00Z',
  producedBy: { runId: 'run-7', stepId: 'prune', attempt: 1, output: 'model' },
  parameters: 124_439_808,
  sparsity: 0.5,
  deleted: false,
  model: null,
  template: null,
  aliases: [],
  bestEval: null,
};
const TRAINED: ArtifactSummary = {
  ...PRUNED,
  id: 'bb'.padEnd(64, '2'),
  name: 'tiny-sft',
  parameters: null,
  sparsity: null,
};

function serve(artifacts: unknown, status = 200) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/aliases'))
        return json({
          items: [{ name: 'production', artifactId: PRUNED.id, updatedAt: '', updatedBy: null }],
        });
      return json(artifacts, status);
    }),
  );
}

const renderPage = () =>
  render(
    <MemoryRouter>
      <CheckpointsPage />
    </MemoryRouter>,
  );

describe('CheckpointsPage', () => {
  it('shows the parameter count and sparsity of checkpoints that have them, a dash for the rest', async () => {
    serve({ items: [PRUNED, TRAINED] });
    renderPage();

    const table = await screen.findByRole('table', { name: 'Checkpoints' });
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent);
    expect(headers).toEqual(expect.arrayContaining(['Parameters', 'Sparsity']));
    const pruned = within(table).getByRole('row', { name: /tiny-pruned/ });
    expect(within(pruned).getByText('124 M')).toBeTruthy();
    expect(within(pruned).getByText('50.0 %')).toBeTruthy();
    expect(within(pruned).getByText('production')).toBeTruthy();
    const trained = within(table).getByRole('row', { name: /tiny-sft/ });
    expect(within(trained).getAllByText('—')).toHaveLength(2);
  });

  it('says when there are no checkpoints yet', async () => {
    serve({ items: [] });
    renderPage();
    expect(await screen.findByText(/No checkpoints yet/)).toBeTruthy();
  });

  it('shows a loading state, then the error when the registry cannot be loaded', async () => {
    serve({ title: 'Internal Server Error', detail: 'database down' }, 500);
    renderPage();
    expect(screen.getByRole('status').textContent).toContain('Loading checkpoints');
    expect((await screen.findByRole('alert')).textContent).toContain('database down');
  });
});

describe('registering a dataset', () => {
  it('sends no sha256 when none is typed: the server hashes the file itself', async () => {
    const posted: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url === '/api/v1/datasets' && init?.method === 'POST') {
          posted.push(JSON.parse(init.body as string));
          return json(
            {
              id: 'cc'.padEnd(64, '3'),
              name: 'wiki-small',
              ref: 'wiki-small:v1',
              format: 'jsonl-text',
              records: 3,
            },
            201,
          );
        }
        return json({ items: [] });
      }),
    );
    render(
      <MemoryRouter initialEntries={['/checkpoints?type=dataset']}>
        <CheckpointsPage />
      </MemoryRouter>,
    );
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'wiki-small' } });
    fireEvent.change(screen.getByLabelText('URI'), { target: { value: 'file:///data/wiki.jsonl' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register' }));
    expect(await screen.findByText(/Registered wiki-small:v1 \(jsonl-text, 3 records\)/)).toBeTruthy();
    expect(posted).toEqual([{ name: 'wiki-small', uri: 'file:///data/wiki.jsonl' }]);
  });
});

describe('the routing profiles tab', () => {
  it('lists the routing profiles, each linking to its heatmap page', async () => {
    const requested: string[] = [];
    const PROFILE: ArtifactSummary = {
      ...PRUNED,
      id: 'cc'.padEnd(64, '3'),
      type: 'routing-profile',
      name: 'profile',
      producedBy: { runId: 'run-7', stepId: 'route-a', attempt: 1, output: 'profile' },
      parameters: null,
      sparsity: null,
    };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        requested.push(url);
        if (url.startsWith('/api/v1/aliases')) return json({ items: [] });
        return json({ items: url.includes('type=routing-profile') ? [PROFILE] : [PRUNED] });
      }),
    );
    renderPage();
    fireEvent.click(await screen.findByRole('tab', { name: 'Routing profiles' }));
    const table = await screen.findByRole('table', { name: 'Routing profiles' });
    expect(within(table).getByRole('link', { name: 'profile' }).getAttribute('href')).toBe(
      `/artifacts/${PROFILE.id}`,
    );
    expect(requested.some((u) => u.startsWith('/api/v1/artifacts?type=routing-profile'))).toBe(true);
  });
});

describe('the datasets tab', () => {
  it('lists every version of each dataset, newest first, with its format and record count', async () => {
    const version = (v: number, id: string, format: string, records: number): DatasetVersion => ({
      id: id.padEnd(64, '0'),
      name: 'corpus',
      team: 'default',
      version: v,
      ref: `corpus:v${v}`,
      format,
      records,
      sizeBytes: 4096,
      source: 'file:///data/corpus',
      createdAt: `2026-11-0${v}T10:00:00Z`,
      createdBy: 'ana',
      aliases: v === 1 ? ['production'] : [],
      files: [],
    });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.startsWith('/api/v1/datasets')
          ? json({ items: [version(2, 'ab12', 'chat', 1234), version(1, 'cd34', 'text', 10)] })
          : json({ items: [] }),
      ),
    );
    render(
      <MemoryRouter initialEntries={['/checkpoints?type=dataset']}>
        <CheckpointsPage />
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table', { name: 'Datasets' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .slice(0, 6)
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['corpus', 'corpus:v2 latest', 'ab1200000000…', 'chat', '1,234', ''],
      ['', 'corpus:v1', 'cd3400000000…', 'text', '10', 'production'],
    ]);
    expect(within(rows[1]).getByRole('link', { name: 'corpus:v1' }).getAttribute('href')).toBe(
      `/artifacts/${'cd34'.padEnd(64, '0')}`,
    );
  });
});

describe('registry number formats', () => {
  it('writes parameter counts and shares the way model cards do', () => {
    expect(formatCount(124_439_808)).toBe('124 M');
    expect(formatCount(1_100_048_384)).toBe('1.10 B');
    expect(formatCount(35_000)).toBe('35.0 K');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(null)).toBe('—');
    expect(formatShare(0.4999)).toBe('50.0 %');
    expect(formatShare(undefined)).toBe('—');
  });
});
