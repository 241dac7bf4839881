import { describe, expect, it } from 'vitest';
import { boundsOf, layoutGraph, readableFit } from './layout';

describe('layoutGraph', () => {
  it('places each rank left of the next and ignores edges to unknown nodes', () => {
    const pos = layoutGraph(
      ['a', 'b', 'c'],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'ghost' },
      ],
    );
    expect(pos.get('a')!.x).toBeLessThan(pos.get('b')!.x);
    expect(pos.get('b')!.x).toBeLessThan(pos.get('c')!.x);
  });

  it('lays out a 500-node lineage tree in milliseconds, every edge pointing right, no nodes overlapping', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => ({ from: `n${Math.floor(i / 3)}`, to: id }));
    edges.push({ from: 'n1', to: 'n499' }); // a diamond, as a merge step makes
    const t0 = performance.now();
    const pos = layoutGraph(ids, edges, { nodeWidth: 200, nodeHeight: 56 });
    expect(performance.now() - t0).toBeLessThan(100);
    expect(pos.size).toBe(500);
    for (const e of edges) expect(pos.get(e.from)!.x).toBeLessThan(pos.get(e.to)!.x);
    const boxes = [...pos.values()].map((p) => `${p.x}/${Math.floor(p.y / 56)}`);
    expect(new Set(boxes).size).toBe(500);
  });
});

describe('readableFit', () => {
  const limits = { padding: 16, minHeight: 160, maxHeight: 800, maxZoom: 1 };
  const chain = Array.from({ length: 9 }, (_, i) => `s${i}`);
  const edges = chain.slice(1).map((id, i) => ({ from: chain[i], to: id }));
  const sizes = (w: number, h: number) => ({
    LR: boundsOf(layoutGraph(chain, edges, { direction: 'LR', nodeWidth: w, nodeHeight: h }), w, h),
    TB: boundsOf(layoutGraph(chain, edges, { direction: 'TB', nodeWidth: w, nodeHeight: h }), w, h),
  });

  it('turns a long chain top to bottom in a half-page column, at full size', () => {
    const fit = readableFit(620, sizes(200, 56), limits);
    expect(fit.direction).toBe('TB');
    expect(fit.zoom).toBeGreaterThanOrEqual(0.92);
    expect(fit.height).toBeLessThanOrEqual(800);
  });

  it('keeps a short graph left to right, in a box no taller than it needs', () => {
    const three = readableFit(
      1200,
      {
        LR: boundsOf(layoutGraph(['a', 'b', 'c'], [{ from: 'a', to: 'b' }]), 200, 56),
        TB: boundsOf(layoutGraph(['a', 'b', 'c'], [{ from: 'a', to: 'b' }], { direction: 'TB' }), 200, 56),
      },
      limits,
    );
    // two rows (a→b, and c alone) of 56 px, 24 px apart, with margins and padding
    expect(three).toMatchObject({ direction: 'LR', zoom: 1, height: 184 });
  });
});
