import { describe, expect, it } from 'vitest';
import { layoutGraph } from './layout';

describe('layoutGraph', () => {
  it('places each rank left of the next and ignores edges to unknown nodes', () => {
    const pos = layoutGraph(['a', 'b', 'c'], [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'ghost' },
    ]);
    expect(pos.get('a')!.x).toBeLessThan(pos.get('b')!.x);
    expect(pos.get('b')!.x).toBeLessThan(pos.get('c')!.x);
  });

  it('lays out a 500-node lineage graph well under a second', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => ({ from: `n${Math.floor(i / 3)}`, to: id }));
    const t0 = performance.now();
    const pos = layoutGraph(ids, edges);
    expect(pos.size).toBe(500);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
