// Automatic layout for every graph the dashboard draws (run DAGs, lineage). Pure, so it is tested alone.
import { Graph, layout } from '@dagrejs/dagre';

export interface LayoutOptions {
  /** LR: left to right (lineage, DAGs); TB: top to bottom. */
  direction?: 'LR' | 'TB';
  nodeWidth?: number;
  nodeHeight?: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Top-left positions per node id; edges to unknown nodes are ignored. */
export function layoutGraph(
  nodeIds: string[],
  edges: { from: string; to: string }[],
  { direction = 'LR', nodeWidth = 200, nodeHeight = 56 }: LayoutOptions = {},
): Map<string, Point> {
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: direction, nodesep: 24, ranksep: 60, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodeIds);
  for (const id of nodeIds) g.setNode(id, { width: nodeWidth, height: nodeHeight });
  for (const e of edges) if (ids.has(e.from) && ids.has(e.to) && e.from !== e.to) g.setEdge(e.from, e.to);
  layout(g);
  const out = new Map<string, Point>();
  for (const id of nodeIds) {
    const n = g.node(id);
    // dagre gives centres; React Flow wants top-left corners.
    out.set(id, { x: (n?.x ?? 0) - nodeWidth / 2, y: (n?.y ?? 0) - nodeHeight / 2 });
  }
  return out;
}
