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

/**
 * Above this many nodes dagre's crossing minimisation is too slow to draw in time (0.2–0.9 s for a
 * 500-node lineage on 2 cores), so big graphs get the linear-time layered layout below.
 */
export const FAST_LAYOUT_ABOVE = 150;
const NODESEP = 24;
const RANKSEP = 60;
// Top to bottom, ranks stack on the short side of the nodes: a tighter gap keeps a 9-step chain
// within one screen at full size.
const RANKSEP_TB = 36;
const MARGIN = 8;

/** Top-left positions per node id; edges to unknown nodes are ignored. */
export function layoutGraph(
  nodeIds: string[],
  edges: { from: string; to: string }[],
  { direction = 'LR', nodeWidth = 200, nodeHeight = 56 }: LayoutOptions = {},
): Map<string, Point> {
  if (nodeIds.length > FAST_LAYOUT_ABOVE)
    return layeredLayout(nodeIds, edges, direction, nodeWidth, nodeHeight);
  const g = new Graph({ multigraph: false });
  g.setGraph({
    rankdir: direction,
    nodesep: NODESEP,
    ranksep: direction === 'TB' ? RANKSEP_TB : RANKSEP,
    marginx: MARGIN,
    marginy: MARGIN,
  });
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

/**
 * Longest-path ranks, then rank by rank each node goes near the mean position of its predecessors,
 * pushed down just enough not to overlap. Siblings stay together, so a tree has no crossings.
 */
function layeredLayout(
  nodeIds: string[],
  edges: { from: string; to: string }[],
  direction: 'LR' | 'TB',
  nodeWidth: number,
  nodeHeight: number,
): Map<string, Point> {
  const preds = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  const succs = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) {
    if (preds.has(e.from) && preds.has(e.to) && e.from !== e.to) {
      succs.get(e.from)!.push(e.to);
      preds.get(e.to)!.push(e.from);
    }
  }
  // Kahn's topological order; nodes on a cycle (lineage has none) are appended at rank 0.
  const indegree = new Map(nodeIds.map((id) => [id, preds.get(id)!.length]));
  const rank = new Map(nodeIds.map((id) => [id, 0]));
  const order = nodeIds.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const next of succs.get(order[i])!) {
      rank.set(next, Math.max(rank.get(next)!, rank.get(order[i])! + 1));
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) order.push(next);
    }
  }
  const seen = new Set(order);
  for (const id of nodeIds) if (!seen.has(id)) order.push(id);

  const layers: string[][] = [];
  for (const id of order) (layers[rank.get(id)!] ??= []).push(id);
  const horizontal = direction === 'LR';
  const step = (horizontal ? nodeHeight : nodeWidth) + NODESEP;
  const cross = new Map<string, number>();
  const out = new Map<string, Point>();
  layers.forEach((layer, r) => {
    const wanted = layer.map((id) => {
      const placed = preds.get(id)!.filter((p) => cross.has(p));
      return {
        id,
        at: placed.length ? placed.reduce((sum, p) => sum + cross.get(p)!, 0) / placed.length : 0,
      };
    });
    wanted.sort((a, b) => a.at - b.at); // stable: siblings keep their order
    let next = 0;
    for (const { id, at } of wanted) {
      const c = Math.max(at, next);
      cross.set(id, c);
      next = c + step;
      const main = MARGIN + r * (horizontal ? nodeWidth + RANKSEP : nodeHeight + RANKSEP_TB);
      out.set(id, horizontal ? { x: main, y: MARGIN + c } : { x: MARGIN + c, y: main });
    }
  });
  return out;
}

export interface Size {
  w: number;
  h: number;
}

/** Width and height of laid-out nodes, margins included. */
export function boundsOf(pos: Map<string, Point>, nodeWidth: number, nodeHeight: number): Size {
  let w = 0;
  let h = 0;
  for (const p of pos.values()) {
    w = Math.max(w, p.x + nodeWidth);
    h = Math.max(h, p.y + nodeHeight);
  }
  return { w: w + MARGIN, h: h + MARGIN };
}

export interface Fit {
  direction: 'LR' | 'TB';
  /** The zoom the whole graph fits at. */
  zoom: number;
  /** Height the graph's box needs to show it all at that zoom. */
  height: number;
}

export interface FitLimits {
  /** Padding around the graph, px. */
  padding: number;
  minHeight: number;
  maxHeight: number;
  maxZoom: number;
}

/**
 * The direction and box height at which the whole graph fits the given width at the largest zoom.
 * A long chain laid left to right shrinks to unreadable text in a column (9 demo steps: zoom 0.3);
 * top to bottom in a taller box it stays at full size. Left to right wins whenever it is as readable.
 */
export function readableFit(
  width: number,
  sizes: Record<'LR' | 'TB', Size>,
  { padding, minHeight, maxHeight, maxZoom }: FitLimits,
): Fit {
  const fit = (direction: 'LR' | 'TB'): Fit => {
    const { w, h } = sizes[direction];
    const zoom = Math.min(maxZoom, (width - 2 * padding) / w, (maxHeight - 2 * padding) / h);
    const height = Math.min(maxHeight, Math.max(minHeight, Math.ceil(h * zoom + 2 * padding)));
    return { direction, zoom, height };
  };
  const lr = fit('LR');
  const tb = fit('TB');
  return tb.zoom > lr.zoom + 0.01 ? tb : lr;
}
