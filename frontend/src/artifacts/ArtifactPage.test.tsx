import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Artifact } from '../api/types';
import { ArtifactPage } from './ArtifactPage';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const ID = 'c0'.padEnd(64, '3');
const PRUNED: Artifact = {
  id: ID,
  type: 'checkpoint',
  name: 'tiny-pruned',
  sizeBytes: 4096,
  createdAt: '2026-11-01T10:00:00Z',
  team: null,
  uri: null,
  createdBy: null,
  producedBy: null,
  files: [],
  aliases: ['candidate'],
  parameters: 1_100_048_384,
  sparsity: 0.25,
  deleted: null,
  failed: false,
  model: null,
};

const CARD = {
  artifactId: 'ca'.padEnd(64, '7'),
  modelId: ID,
  createdAt: '2026-11-02T00:00:00Z',
  createdBy: 'ana',
  text: '---\ndatasets:\n- corpus:v2\n---\n\n# tiny-pruned\n',
};

function renderPage(artifact: Artifact, card: { stored: boolean } = { stored: false }) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (url === `/api/v1/artifacts/${ID}`) return json(artifact);
      if (url === `/api/v1/artifacts/${ID}/model-card`) {
        if (init?.method === 'POST') {
          card.stored = true;
          return json(CARD, 201);
        }
        return card.stored ? json(CARD) : json({ title: 'Not Found', status: 404 }, 404);
      }
      if (url === '/api/v1/aliases/candidate/history')
        return json({
          items: [
            { artifactId: ID, previousArtifactId: null, changedAt: '2026-11-02T00:00:00Z', changedBy: 'ana' },
          ],
        });
      if (url.includes('/lineage'))
        return json({
          root: `artifact:${ID}`,
          nodes: [{ id: `artifact:${ID}`, type: 'checkpoint', label: 'tiny-pruned' }],
          edges: [],
        });
      return json({ title: 'Not Found' }, 404);
    }),
  );
  render(
    <MemoryRouter initialEntries={[`/artifacts/${ID}`]}>
      <Routes>
        <Route path="/artifacts/:id" element={<ArtifactPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('ArtifactPage', () => {
  it('says what an imported checkpoint is and where it came from', async () => {
    renderPage({
      ...PRUNED,
      aliases: [],
      sparsity: null,
      parameters: 392,
      model: {
        family: 'qwen3',
        parameters: 392,
        dtype: 'bfloat16',
        tokenizer: 'hf',
        chatTemplate: true,
        description: 'from the Hub',
        source: 'file:///data/qwen3',
        importedBy: 'alice',
        importedAt: '2026-12-01T10:00:00Z',
        origin: 'imported from file:///data/qwen3 by alice',
      },
    });
    await screen.findByRole('heading', { name: /tiny-pruned/ });
    const facts = document.querySelector('dl.facts') as HTMLElement;
    expect(within(facts).getByText('Model').nextElementSibling?.textContent).toBe(
      'qwen3 · bfloat16 · tokenizer hf · chat templatefrom the Hub',
    );
    expect(within(facts).getByText('Produced by').nextElementSibling?.textContent).toBe(
      'imported from file:///data/qwen3 by alice',
    );
  });

  it('shows the measured parameter count and sparsity, and where each of its aliases pointed over time', async () => {
    renderPage(PRUNED);
    await screen.findByRole('heading', { name: /tiny-pruned/ });
    const facts = document.querySelector('dl.facts') as HTMLElement;
    expect(within(facts).getByText('Parameters').nextElementSibling?.textContent).toBe('1.10 B');
    expect(within(facts).getByText('Sparsity').nextElementSibling?.textContent).toBe('25.0 %');

    const history = await screen.findByRole('table', { name: 'History of alias candidate' });
    expect(history.textContent).toContain('ana');
    expect(history.textContent).toContain('(this version)');
  });

  it('leaves out measurements the producing step did not record, and the history when no alias points here', async () => {
    renderPage({ ...PRUNED, parameters: null, sparsity: null, aliases: [] });
    await screen.findByRole('heading', { name: /tiny-pruned/ });
    expect(screen.queryByText('Parameters')).toBeNull();
    expect(screen.queryByText('Sparsity')).toBeNull();
    expect(screen.queryByText('Alias history')).toBeNull();
  });

  it('says when a report was kept from a failed gate', async () => {
    renderPage({ ...PRUNED, type: 'report', name: 'eval-report', aliases: [], failed: true });
    await screen.findByRole('heading', { name: /eval-report/ });
    expect(screen.getByText(/Kept from a failed attempt/)).toBeTruthy();
  });

  it('shows no failed-gate note for an artifact that did not fail', async () => {
    renderPage({ ...PRUNED, aliases: [] });
    await screen.findByRole('heading', { name: /tiny-pruned/ });
    expect(screen.queryByText(/Kept from a failed attempt/)).toBeNull();
  });

  it('links every file and the whole artifact as tar to their downloads', async () => {
    renderPage({
      ...PRUNED,
      aliases: [],
      files: [
        { path: 'config.json', sizeBytes: 120, sha256: 'a'.repeat(64) },
        { path: 'train/shard 00000.tokens', sizeBytes: 4096, sha256: 'b'.repeat(64) },
      ],
    });
    const files = await screen.findByRole('table', { name: 'Files' });
    const links = within(files).getAllByRole('link');
    expect(links.map((l) => l.getAttribute('href'))).toEqual([
      `/api/v1/artifacts/${ID}/files/config.json`,
      `/api/v1/artifacts/${ID}/files/train/shard%2000000.tokens`,
    ]);
    expect(links.every((l) => l.hasAttribute('download'))).toBe(true);
    const all = screen.getByRole('link', { name: 'Download all (tar)' });
    expect(all.getAttribute('href')).toBe(`/api/v1/artifacts/${ID}/archive`);
  });

  it('offers no downloads once retention deleted the files', async () => {
    renderPage({
      ...PRUNED,
      aliases: [],
      files: [{ path: 'config.json', sizeBytes: 120, sha256: 'a'.repeat(64) }],
      deleted: { at: '2026-11-03T00:00:00Z', by: 'retention-policy', reason: 'kept last 2' },
    });
    const files = await screen.findByRole('table', { name: 'Files' });
    expect(within(files).queryAllByRole('link')).toHaveLength(0);
    expect(screen.queryByRole('link', { name: 'Download all (tar)' })).toBeNull();
  });
  it("shows the server's model card of a checkpoint", async () => {
    renderPage(PRUNED, { stored: true });
    expect((await screen.findByTestId('model-card')).textContent).toBe(CARD.text);
  });

  it('offers to make the card when none is stored, and shows what the server made', async () => {
    renderPage(PRUNED);
    await screen.findByText(/No model card yet/);
    fireEvent.click(screen.getByRole('button', { name: 'Make card' }));
    expect((await screen.findByTestId('model-card')).textContent).toContain('corpus:v2');
  });

  it('browses the files by folder, filters them, and gives sha256sum -c lines for a file and for the tar', async () => {
    const files = [
      { path: 'config.json', sizeBytes: 120, sha256: 'a'.repeat(64) },
      { path: 'shards/model-00001.safetensors', sizeBytes: 4096, sha256: 'b'.repeat(64) },
      { path: 'shards/model-00002.safetensors', sizeBytes: 2048, sha256: 'c'.repeat(64) },
    ];
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderPage({ ...PRUNED, aliases: [], files });
    const table = await screen.findByRole('table', { name: 'Files' });
    const folder = within(table).getByRole('rowheader', { name: /shards\// });
    expect(folder.textContent).toContain('2 files · 6.0 KiB');
    fireEvent.click(
      within(table).getByRole('button', {
        name: 'Copy sha256sum -c of shards/model-00002.safetensors',
      }),
    );
    await waitFor(() =>
      expect(writeText).toHaveBeenCalledWith(
        `echo '${'c'.repeat(64)}  model-00002.safetensors' | sha256sum -c`,
      ),
    );
    expect(screen.getByTestId('archive-check').textContent).toBe(
      `sha256sum -c <<'EOF'\n${'a'.repeat(64)}  config.json\n${'b'.repeat(64)}  shards/model-00001.safetensors\n${'c'.repeat(64)}  shards/model-00002.safetensors\nEOF`,
    );
    fireEvent.change(screen.getByLabelText('Filter files'), { target: { value: '00001' } });
    expect(
      within(table)
        .getAllByRole('link')
        .map((l) => l.getAttribute('aria-label')),
    ).toEqual(['Download shards/model-00001.safetensors']);
  });
});
