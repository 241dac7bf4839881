import { describe, expect, it } from 'vitest';
import type { Lineage } from '../api/types';
import { hrefOf, impactOf, mergeLineages, NO_ORIGIN } from './lineageGraph';

const DESC: Lineage = {
  root: 'artifact:ds',
  nodes: [
    { id: 'artifact:ds', type: 'dataset', label: 'wiki', deleted: false, origin: null, ...NO_ORIGIN },
    {
      id: 'step:r1/train/1',
      type: 'step',
      label: 'r1 / train #1',
      deleted: false,
      origin: null,
      ...NO_ORIGIN,
    },
    { id: 'artifact:ck1', type: 'checkpoint', label: 'ck1', deleted: false, origin: null, ...NO_ORIGIN },
    {
      id: 'step:r2/merge/1',
      type: 'step',
      label: 'r2 / merge #1',
      deleted: false,
      origin: null,
      ...NO_ORIGIN,
    },
    { id: 'artifact:ck2', type: 'checkpoint', label: 'ck2', deleted: false, origin: null, ...NO_ORIGIN },
  ],
  edges: [
    { from: 'artifact:ds', to: 'step:r1/train/1', role: 'data' },
    { from: 'step:r1/train/1', to: 'artifact:ck1', role: 'model' },
    { from: 'artifact:ck1', to: 'step:r2/merge/1', role: 'model' },
    { from: 'step:r2/merge/1', to: 'artifact:ck2', role: 'model' },
  ],
};

describe('lineage graph', () => {
  it('lists every artifact downstream, nearest first, indirect ones included', () => {
    expect(impactOf(DESC).map((r) => [r.node.label, r.depth])).toEqual([
      ['ck1', 2],
      ['ck2', 4],
    ]);
  });

  it('merges walks without duplicate nodes or edges', () => {
    const anc: Lineage = {
      root: 'artifact:ck1',
      nodes: DESC.nodes.slice(0, 3),
      edges: DESC.edges.slice(0, 2),
    };
    const m = mergeLineages([anc, DESC]);
    expect(m.nodes).toHaveLength(5);
    expect(m.edges).toHaveLength(4);
  });

  it('links artifacts to their page and steps to their run with the step open', () => {
    expect(hrefOf('artifact:ab')).toBe('/artifacts/ab');
    expect(hrefOf('step:r1/train/2')).toBe('/runs/r1?step=train');
  });
});
