import { describe, expect, it } from 'vitest';
import { layoutGraph } from './layout';

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
