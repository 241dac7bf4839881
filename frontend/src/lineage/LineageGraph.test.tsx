import { NO_ORIGIN } from './lineageGraph';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lineage } from '../api/types';
import { LineageGraph } from './LineageGraph';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

const ANC: Lineage = {
  root: 'artifact:ck',
  nodes: [
    { id: 'artifact:ck', type: 'checkpoint', label: 'ck', deleted: false, origin: null, ...NO_ORIGIN },
    {
      id: 'step:r1/train/1',
      type: 'step',
      label: 'r1 / train #1',
      deleted: false,
      origin: null,
      ...NO_ORIGIN,
    },
    { id: 'artifact:ds', type: 'dataset', label: 'wiki', deleted: false, origin: null, ...NO_ORIGIN },
  ],
  edges: [
    { from: 'artifact:ds', to: 'step:r1/train/1', role: 'data' },
    { from: 'step:r1/train/1', to: 'artifact:ck', role: 'model' },
  ],
};
const EMPTY = (root: string): Lineage => ({
  root,
  nodes: [{ id: root, type: 'x', label: 'x', deleted: false, origin: null, ...NO_ORIGIN }],
  edges: [],
});
const DS_DESC: Lineage = {
  root: 'artifact:ds',
  nodes: [
    ...ANC.nodes,
    {
      id: 'step:r9/train/1',
      type: 'step',
      label: 'r9 / train #1',
      deleted: false,
      origin: null,
      ...NO_ORIGIN,
    },
    { id: 'artifact:other', type: 'checkpoint', label: 'other', deleted: false, origin: null, ...NO_ORIGIN },
  ],
  edges: [
    ...ANC.edges,
    { from: 'artifact:ds', to: 'step:r9/train/1', role: 'data' },
    { from: 'step:r9/train/1', to: 'artifact:other', role: 'model' },
  ],
};

describe('LineageGraph', () => {
  it('draws ancestors and descendants as linked nodes and expands a node in place', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url === '/api/v1/artifacts/ck/lineage?direction=ancestors') return json(ANC);
        if (url === '/api/v1/artifacts/ck/lineage?direction=descendants') return json(EMPTY('artifact:ck'));
        if (url === '/api/v1/artifacts/ds/lineage?direction=descendants') return json(DS_DESC);
        return json(EMPTY('artifact:ds'));
      }),
    );
    render(
      <MemoryRouter>
        <LineageGraph root="ck" />
      </MemoryRouter>,
    );
    const wiki = await screen.findByRole('link', { name: 'wiki' });
    expect(wiki.getAttribute('href')).toBe('/artifacts/ds');
    expect(screen.getByRole('link', { name: 'r1 / train #1' }).getAttribute('href')).toBe(
      '/runs/r1?step=train',
    );
    expect(screen.getByTestId('graph-node-artifact:ck').className).toContain('highlight');
    expect(screen.queryByText('other')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'expand lineage of wiki' }));
    await waitFor(() => expect(screen.getByRole('link', { name: 'other' })).toBeTruthy());
    expect(screen.getByText('5 nodes, 4 edges', { exact: false })).toBeTruthy();
  });

  it('shows a checkpoint that retention deleted as a tombstone node', async () => {
    const withTombstone: Lineage = {
      ...ANC,
      nodes: ANC.nodes.map((n) => (n.id === 'artifact:ds' ? { ...n, deleted: true } : n)),
    };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.includes('ancestors') ? json(withTombstone) : json(EMPTY('artifact:ck')),
      ),
    );
    render(
      <MemoryRouter>
        <LineageGraph root="ck" />
      </MemoryRouter>,
    );
    await screen.findByRole('link', { name: 'wiki' });
    expect(screen.getByTestId('graph-node-artifact:ds').className).toContain('flow-node-deleted');
    expect(screen.getByText('dataset · deleted')).toBeTruthy();
    expect(screen.getByTestId('graph-node-artifact:ck').className).not.toContain('flow-node-deleted');
  });

  it('marks an imported checkpoint and says where it came from', async () => {
    const imported: Lineage = {
      ...ANC,
      nodes: ANC.nodes.map((n) =>
        n.id === 'artifact:ck' ? { ...n, origin: 'imported from file:///data/ck by alice' } : n,
      ),
    };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => (url.includes('ancestors') ? json(imported) : json(EMPTY('artifact:ck')))),
    );
    render(
      <MemoryRouter>
        <LineageGraph root="ck" />
      </MemoryRouter>,
    );
    const ck = await screen.findByRole('link', { name: 'ck' });
    // the full id and the origin are the node's tooltip
    expect(ck.closest('.flow-node')!.getAttribute('title')).toBe(
      'ck\nartifact:ck\nimported from file:///data/ck by alice',
    );
    expect(screen.getByText('checkpoint · imported')).toBeTruthy();
  });
});
