import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alias, ArtifactSummary, DatasetVersion, ParamSpec } from '../api/types';
import { LaunchForm } from '../templates/LaunchForm';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const TINY: ArtifactSummary = {
  id: 'a1b2c3d4e5f6'.padEnd(64, '0'),
  type: 'checkpoint',
  name: 'tiny-llama',
  sizeBytes: 1000,
  createdAt: '2026-11-01T10:00:00Z',
  producedBy: { runId: 'run-1', stepId: 'sft', attempt: 1, output: 'model' },
  parameters: null,
  sparsity: null,
  deleted: false,
  model: null,
  template: null,
  aliases: [],
  bestEval: null,
};
const PRUNED: ArtifactSummary = {
  ...TINY,
  id: 'ffee'.padEnd(64, '1'),
  name: 'tiny-pruned',
  producedBy: null,
};
const WIKI: ArtifactSummary = {
  ...TINY,
  id: 'dd'.padEnd(64, '2'),
  type: 'dataset',
  name: 'wiki-small',
  producedBy: null,
};
/** The versions of the datasets among the fake server's artifacts: each is version 1 of its name. */
function versionsOf(artifacts: ArtifactSummary[]): DatasetVersion[] {
  return artifacts
    .filter((a) => a.type === 'dataset')
    .map((a) => ({
      id: a.id,
      name: a.name ?? 'unnamed',
      team: 'default',
      version: 1,
      ref: `${a.name}:v1`,
      format: 'jsonl-text',
      records: 10,
      sizeBytes: a.sizeBytes,
      source: 'file:///data/x.jsonl',
      createdAt: a.createdAt,
      createdBy: 'ana',
      aliases: [],
      files: [],
    }));
}

const ALIASES: Alias[] = [
  { name: 'production', artifactId: TINY.id, updatedAt: '2026-11-02T00:00:00Z', updatedBy: 'ana' },
];

const PARAMS: ParamSpec[] = [
  { name: 'base', type: 'checkpoint', required: true, default: null, description: null },
  { name: 'corpus', type: 'dataset', required: true, default: null, description: null },
];

/** A fake server that answers /artifacts?q= by prefix the way the backend does. */
function stubServer(artifacts: ArtifactSummary[], aliases = ALIASES, extraVersions: DatasetVersion[] = []) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      calls.push(input);
      const u = new URL(input, 'http://x');
      if (u.pathname === '/api/v1/aliases') return json({ items: aliases });
      if (u.pathname === '/api/v1/datasets') {
        const q = u.searchParams.get('q') ?? '';
        return json({
          items: [...versionsOf(artifacts), ...extraVersions].filter(
            (v) => v.name.startsWith(q) || v.id.startsWith(q),
          ),
        });
      }
      const q = (u.searchParams.get('q') ?? '').toLowerCase();
      const type = u.searchParams.get('type');
      const items = artifacts.filter(
        (a) =>
          (!type || a.type === type) &&
          ((a.name ?? '').toLowerCase().startsWith(q) ||
            a.id.startsWith(q) ||
            aliases.some((x) => x.artifactId === a.id && x.name.startsWith(q))),
      );
      return json({ items });
    }),
  );
  return calls;
}

const combo = (name: string) =>
  screen.getByRole('combobox', { name: new RegExp(`^${name}`) }) as HTMLInputElement;

describe('ArtifactPicker in the launch form', () => {
  it('lists checkpoints matching a typed name prefix and picks one with the arrow keys and Enter', async () => {
    stubServer([TINY, PRUNED, WIKI]);
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    const base = combo('base');
    fireEvent.change(base, { target: { value: 'tiny' } });
    const list = await screen.findByRole('listbox', { name: 'Matching checkpoints' });
    await waitFor(() => expect(within(list).getAllByRole('option')).toHaveLength(2));
    expect(base.getAttribute('aria-expanded')).toBe('true');
    expect(within(list).getByText('tiny-llama')).toBeTruthy();
    expect(within(list).getByText('tiny-pruned')).toBeTruthy();

    fireEvent.keyDown(base, { key: 'ArrowDown' });
    fireEvent.keyDown(base, { key: 'ArrowDown' });
    expect(within(list).getAllByRole('option')[1].getAttribute('aria-selected')).toBe('true');
    expect(base.getAttribute('aria-activedescendant')).toBe(within(list).getAllByRole('option')[1].id);
    fireEvent.keyDown(base, { key: 'Enter' });

    // The exact version goes into the field, so the run uses what was picked.
    expect(base.value).toBe(PRUNED.id);
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByTestId('param-base-chosen').textContent).toContain('tiny-pruned');
  });

  it('closes the list with Escape and reopens it with the down arrow, keeping the typed text', async () => {
    stubServer([TINY, PRUNED]);
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);

    const base = combo('base');
    fireEvent.change(base, { target: { value: 'tiny' } });
    await screen.findAllByRole('option');
    fireEvent.keyDown(base, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(base.getAttribute('aria-expanded')).toBe('false');
    fireEvent.keyDown(base, { key: 'ArrowDown' });
    expect(await screen.findAllByRole('option')).toHaveLength(2);
    expect(base.value).toBe('tiny');
  });

  it('offers an alias by its prefix and keeps the alias name in the field', async () => {
    stubServer([TINY, PRUNED]);
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);

    fireEvent.change(combo('base'), { target: { value: 'prod' } });
    const option = await screen.findByRole('option', { name: /production/ });
    fireEvent.mouseDown(option);

    expect(combo('base').value).toBe('production');
    expect(screen.getByTestId('param-base-chosen').textContent).toContain('alias production → tiny-llama');
  });

  it('finds a checkpoint by a content-hash prefix', async () => {
    stubServer([TINY, PRUNED]);
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);

    fireEvent.change(combo('base'), { target: { value: 'ffee' } });
    expect(await screen.findByRole('option', { name: /tiny-pruned/ })).toBeTruthy();
    expect(screen.queryByRole('option', { name: /tiny-llama/ })).toBeNull();
  });

  it('offers a dataset by name (its latest version), by alias and by each version, and launches the chosen one', async () => {
    const v1 = versionsOf([WIKI])[0];
    const v2: DatasetVersion = {
      ...v1,
      id: 'cafe'.padEnd(64, '3'),
      version: 2,
      ref: 'wiki-small:v2',
      format: 'chat',
      records: 1234,
    };
    const aliases: Alias[] = [
      { name: 'production', artifactId: v1.id, updatedAt: '2026-11-02T00:00:00Z', updatedBy: 'ana' },
    ];
    stubServer([TINY], aliases, [v2, v1]);
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(combo('base'), { target: { value: 'tiny-llama' } });
    const corpus = combo('corpus');
    fireEvent.change(corpus, { target: { value: 'wiki' } });
    const list = await screen.findByRole('listbox', { name: 'Matching datasets' });
    await waitFor(() =>
      expect(
        within(list)
          .getAllByRole('option')
          .map((o) => o.textContent),
      ).toEqual([
        'wiki-small (latest: v2)cafe33333333 · chat · 1,234 records',
        'aliaswiki-small@productionv1 · dd2222222222 · jsonl-text · 10 records',
        'wiki-small:v2cafe33333333 · chat · 1,234 records',
        'wiki-small:v1dd2222222222 · jsonl-text · 10 records',
      ]),
    );
    fireEvent.mouseDown(within(list).getByRole('option', { name: /^wiki-small:v1/ }));
    expect(corpus.value).toBe('wiki-small:v1');
    await waitFor(() => expect(screen.queryByText(/Searching/)).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));
    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith({ base: 'tiny-llama', corpus: 'wiki-small:v1' }),
    );
  });

  it('stops a launch naming a dataset version that does not exist', async () => {
    stubServer([TINY, WIKI]);
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);
    fireEvent.change(combo('base'), { target: { value: 'tiny-llama' } });
    fireEvent.change(combo('corpus'), { target: { value: 'wiki-small:v7' } });
    await screen.findAllByRole('option');
    await waitFor(() => expect(screen.queryByText(/Searching/)).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));
    await waitFor(() =>
      expect(screen.getByTestId('field-corpus').querySelector('.field-error')?.textContent).toBe(
        "no dataset 'wiki-small' with version 7",
      ),
    );
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('searches only datasets for a dataset parameter', async () => {
    const calls = stubServer([TINY, WIKI]);
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);

    fireEvent.change(combo('corpus'), { target: { value: 'w' } });
    expect(await screen.findAllByRole('option', { name: /wiki-small/ })).toHaveLength(2);
    expect(calls.some((c) => c.startsWith('/api/v1/datasets?') && c.includes('q=w'))).toBe(true);
  });

  it('says when nothing matches and when the search fails', async () => {
    stubServer([TINY]);
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);
    fireEvent.change(combo('corpus'), { target: { value: 'zzz' } });
    expect(await screen.findByText('No datasets match “zzz”.')).toBeTruthy();

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ title: 'Boom' }, 500)),
    );
    fireEvent.change(combo('corpus'), { target: { value: 'zz' } });
    expect(await screen.findByText(/Could not search datasets/)).toBeTruthy();
  });

  it('stops a launch whose checkpoint names nothing, with the message the server would give', async () => {
    stubServer([TINY]);
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(combo('base'), { target: { value: 'no-such-model' } });
    await screen.findByText('No checkpoints match “no-such-model”.');
    fireEvent.change(combo('corpus'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));

    const field = screen.getByTestId('field-base');
    expect(field.querySelector('.field-error')?.textContent).toBe(
      "no checkpoint with alias, name or id 'no-such-model'",
    );
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('lets a name that resolves through the launch', async () => {
    stubServer([TINY, WIKI]);
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(combo('base'), { target: { value: 'tiny-llama' } });
    fireEvent.change(combo('corpus'), { target: { value: 'wiki-small' } });
    await screen.findAllByRole('option');
    await waitFor(() => expect(screen.queryByText(/Searching/)).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));

    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith({ base: 'tiny-llama', corpus: 'wiki-small' }));
  });
});
