import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Artifact, ArtifactSummary } from '../api/types';
import { ArtifactPage } from '../artifacts/ArtifactPage';
// profile.json files written by the real route-stats kind (fixtures/make_fixtures.py).
import taskA from './fixtures/profile-task-a.json?raw';
import taskB from './fixtures/profile-task-b.json?raw';
import otherModel from './fixtures/profile-other-model.json?raw';
import layerExperts from './fixtures/profile-layer-experts.json?raw';
import { formatCell } from './Heatmap';
import { parseProfile, ProfileError } from './profile';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const id = (c: string) => c.repeat(64);
const A = id('a');
const B = id('b');
const OTHER = id('c');
const PRUNED = id('d');

const FILES: Record<string, string> = { [A]: taskA, [B]: taskB, [OTHER]: otherModel, [PRUNED]: layerExperts };
const NAMES: Record<string, string> = {
  [A]: 'profile',
  [B]: 'profile',
  [OTHER]: 'profile',
  [PRUNED]: 'profile',
};
const STEPS: Record<string, string> = {
  [A]: 'route-a',
  [B]: 'route-b',
  [OTHER]: 'route-other',
  [PRUNED]: 'route-pruned',
};

function summary(x: string): ArtifactSummary {
  return {
    id: x,
    type: 'routing-profile',
    name: NAMES[x],
    sizeBytes: FILES[x].length,
    createdAt: '2026-12-01T10:00:00Z',
    producedBy: {
      runId: `run-20261201-100000-${x.slice(0, 8)}`,
      stepId: STEPS[x],
      attempt: 1,
      output: 'profile',
    },
    parameters: null,
    sparsity: null,
    deleted: false,
    model: null,
    template: null,
    aliases: [],
    bestEval: null,
  };
}

function artifact(x: string): Artifact {
  return {
    ...summary(x),
    team: null,
    uri: null,
    createdBy: null,
    files: [{ path: 'profile.json', sizeBytes: FILES[x].length, sha256: '0'.repeat(64) }],
    aliases: [],
    deleted: null,
    failed: false,
  };
}

const fetched: string[] = [];

function serve() {
  fetched.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      fetched.push(url);
      const file = /^\/api\/v1\/artifacts\/([0-9a-f]{64})\/files\/profile\.json$/.exec(url);
      if (file && FILES[file[1]]) return new Response(FILES[file[1]], { status: 200 });
      const one = /^\/api\/v1\/artifacts\/([0-9a-f]{64})$/.exec(url);
      if (one && FILES[one[1]]) return json(artifact(one[1]));
      if (url.startsWith('/api/v1/artifacts?type=routing-profile'))
        return json({ items: Object.keys(FILES).map(summary), nextCursor: null });
      if (url.includes('/lineage')) return json({ root: 'x', nodes: [], edges: [] });
      return json({ title: 'Not Found' }, 404);
    }),
  );
}

let location = '';
function LocationProbe() {
  const l = useLocation();
  location = l.pathname + l.search;
  return null;
}

function open(path: string) {
  serve();
  render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/artifacts/:id" element={<ArtifactPage />} />
      </Routes>
      <LocationProbe />
    </MemoryRouter>,
  );
}

const cell = (root: HTMLElement, row: number, col: number) => {
  const el = root.querySelector(`[data-cell="${row},${col}"]`);
  if (!el) throw new Error(`no cell ${row},${col}`);
  return el as SVGGElement;
};
const tip = (g: Element) => g.querySelector('title')?.textContent ?? '';

describe('routing profile view', () => {
  it('draws the layer × expert heatmap of the chosen statistic with every value readable', async () => {
    open(`/artifacts/${A}`);
    const map = await screen.findByTestId('profile-heatmap');
    const profile = JSON.parse(taskA);
    // 2 layers × 8 experts, each cell carrying its value as text and tooltip
    expect(map.querySelectorAll('[data-cell]')).toHaveLength(16);
    expect(tip(cell(map, 0, 3))).toBe('layer 0, expert 3: token frequency 0.494');
    expect(cell(map, 0, 3).querySelector('text')?.textContent).toBe('0.494');
    expect(Number(cell(map, 1, 1).getAttribute('data-value'))).toBeCloseTo(
      profile.layers[1].frequency[1],
      12,
    );
    // the legend spans the values, from 0 to the largest frequency
    const max = Math.max(...profile.layers.flatMap((l: { frequency: number[] }) => l.frequency));
    expect(within(map).getByLabelText(`colour scale from 0 to ${max.toPrecision(3)}`)).toBeTruthy();
    expect(screen.getByText(/480 tokens|\(480\)/)).toBeTruthy();
    expect(fetched).toContain(`/api/v1/artifacts/${A}/files/profile.json`);

    // another statistic: the cells show it and the link says it
    fireEvent.change(screen.getByLabelText('Statistic'), { target: { value: 'gate_weighted_output_norm' } });
    expect(tip(cell(await screen.findByTestId('profile-heatmap'), 1, 2))).toMatch(
      /^layer 1, expert 2: gate-weighted output norm /,
    );
    expect(Number(cell(screen.getByTestId('profile-heatmap'), 1, 2).getAttribute('data-value'))).toBeCloseTo(
      profile.layers[1].gate_weighted_output_norm[2],
      12,
    );
    expect(location).toBe(`/artifacts/${A}?stat=gate_weighted_output_norm`);
  });

  it('shows a chosen layer’s co-activation and router-logit similarity, expert × expert', async () => {
    open(`/artifacts/${A}?layer=1`);
    const co = await screen.findByTestId('matrix-coactivation');
    const sim = screen.getByTestId('matrix-router_logit_similarity');
    const layer1 = JSON.parse(taskA).layers[1];
    expect(co.querySelectorAll('[data-cell]')).toHaveLength(64);
    expect(Number(cell(co, 1, 4).getAttribute('data-value'))).toBeCloseTo(layer1.coactivation[1][4], 12);
    // the diagonal of co-activation is the frequency; similarity is 1 on the diagonal
    expect(Number(cell(co, 4, 4).getAttribute('data-value'))).toBeCloseTo(layer1.frequency[4], 12);
    expect(Number(cell(sim, 2, 2).getAttribute('data-value'))).toBeCloseTo(1, 9);
    expect(tip(cell(sim, 0, 5))).toMatch(/^layer 1, experts 0 and 5: router-logit similarity -?\d/);
    // similarity runs from -1 to 1 on a fixed diverging scale
    expect(within(sim).getByLabelText('colour scale from -1 to 1')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Layer'), { target: { value: '0' } });
    expect(
      Number(cell(screen.getByTestId('matrix-coactivation'), 1, 4).getAttribute('data-value')),
    ).toBeCloseTo(JSON.parse(taskA).layers[0].coactivation[1][4], 12);
  });

  it('draws layers with their own expert counts, the missing experts marked as such', async () => {
    open(`/artifacts/${PRUNED}?layer=1`);
    const map = await screen.findByTestId('profile-heatmap');
    expect(screen.getByText(/experts per layer 8, 4/)).toBeTruthy();
    expect(map.querySelectorAll('[data-cell^="0,"]:not([data-missing])')).toHaveLength(8);
    expect(map.querySelectorAll('[data-cell^="1,"]:not([data-missing])')).toHaveLength(4);
    expect(map.querySelectorAll('[data-missing]')).toHaveLength(4);
    expect(tip(cell(map, 1, 6))).toBe('layer 1 has 4 experts');
    // the chosen layer's matrices are 4 × 4
    expect(screen.getByTestId('matrix-coactivation').querySelectorAll('[data-cell]')).toHaveLength(16);
    expect(screen.getByRole('option', { name: 'layer 1 (4 experts)' })).toBeTruthy();
  });

  it('compares task A with task B of the same model cell by cell, as a shareable link', async () => {
    open(`/artifacts/${A}`);
    const picker = (await screen.findByLabelText('Compare with')) as HTMLSelectElement;
    await within(picker).findByRole('option', {
      name: /^profile · step route-b of run run-20261201-100000-bbbbbbbb · /,
    });
    // never bare hashes, never itself
    const labels = [...picker.options].map((o) => o.textContent ?? '');
    expect(labels.some((l) => /[0-9a-f]{12}/.test(l))).toBe(false);
    expect(labels.some((l) => l.includes('route-a'))).toBe(false);

    fireEvent.change(picker, { target: { value: B } });
    const diff = await screen.findByTestId('difference-heatmap');
    expect(location).toBe(`/artifacts/${A}?compare=${B}`);
    const a = JSON.parse(taskA).layers;
    const b = JSON.parse(taskB).layers;
    for (const [i, j] of [
      [0, 0],
      [0, 3],
      [1, 7],
    ])
      expect(Number(cell(diff, i, j).getAttribute('data-value'))).toBeCloseTo(
        a[i].frequency[j] - b[i].frequency[j],
        12,
      );
    expect(tip(cell(diff, 0, 3))).toBe(
      `layer 0, expert 3: 0.494 on task_a.txt, 0.261 on task_b.txt, difference +0.232`,
    );
    expect(
      screen.getByRole('heading', { name: 'Difference of token frequency: task_a.txt − task_b.txt' }),
    ).toBeTruthy();
    // a diverging scale, symmetric around 0
    expect(within(diff).getByText('(white: no difference)')).toBeTruthy();
    const co = screen.getByTestId('coactivation-difference');
    expect(Number(cell(co, 2, 5).getAttribute('data-value'))).toBeCloseTo(
      a[0].coactivation[2][5] - b[0].coactivation[2][5],
      12,
    );
  });

  it('opens a shared comparison link with its statistic and layer', async () => {
    open(`/artifacts/${A}?compare=${B}&stat=mean_gate&layer=1`);
    const diff = await screen.findByTestId('difference-heatmap');
    const a = JSON.parse(taskA).layers;
    const b = JSON.parse(taskB).layers;
    expect(Number(cell(diff, 1, 2).getAttribute('data-value'))).toBeCloseTo(
      a[1].mean_gate[2] - b[1].mean_gate[2],
      12,
    );
    expect(
      Number(cell(screen.getByTestId('coactivation-difference'), 0, 1).getAttribute('data-value')),
    ).toBeCloseTo(a[1].coactivation[0][1] - b[1].coactivation[0][1], 12);
    expect((screen.getByLabelText('Statistic') as HTMLSelectElement).value).toBe('mean_gate');
  });

  it('refuses to compare profiles of different models, saying why', async () => {
    open(`/artifacts/${A}?compare=${OTHER}`);
    const refused = await screen.findByTestId('comparison-refused');
    expect(refused.textContent).toMatch(
      /come from different models \(router fingerprints 4da4b5b65d3b… and ce19f8fd76d7…\)/,
    );
    expect(screen.queryByTestId('difference-heatmap')).toBeNull();
  });

  it('refuses to compare profiles of different shapes', async () => {
    open(`/artifacts/${A}?compare=${PRUNED}`);
    const refused = await screen.findByTestId('comparison-refused');
    expect(refused.textContent).toContain(
      'different shapes (2 layers × [8, 8] experts against 2 layers × [8, 4] experts)',
    );
    expect(screen.queryByTestId('difference-heatmap')).toBeNull();
  });
});

describe('cell values', () => {
  it('are written with three significant digits', () => {
    expect([100, 0.5, 0.125, -0.23229, 1.0, 0, 12345, 0.0004, -0.0013512, 0.0999].map(formatCell)).toEqual([
      '100',
      '0.5',
      '0.125',
      '-0.232',
      '1',
      '0',
      '1.2e+4',
      '4.0e-4',
      '-1.4e-3',
      '0.0999',
    ]);
  });
});

describe('parseProfile', () => {
  it('names the path of every problem of a malformed profile', () => {
    const bad = JSON.parse(taskA);
    bad.layers[1].mean_gate = bad.layers[1].mean_gate.slice(0, 7);
    bad.layers[0].coactivation[2] = [1, 2];
    delete bad.model.router_fingerprint;
    expect(() => parseProfile(JSON.stringify(bad))).toThrow(ProfileError);
    try {
      parseProfile(JSON.stringify(bad));
    } catch (e) {
      expect((e as ProfileError).problems).toEqual([
        'model.router_fingerprint: expected a string',
        'layers[0].coactivation: expected a 8 × 8 matrix of numbers',
        'layers[1].mean_gate: expected 8 numbers (layer_experts[1])',
      ]);
    }
    expect(() => parseProfile('{"format": "x"}')).toThrow(/format: expected "trainyard.routing-profile\/v1"/);
  });
});
