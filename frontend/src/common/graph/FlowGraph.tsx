// React Flow with dagre layout, read-only: the one graph view of the dashboard.
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { boundsOf, FAST_LAYOUT_ABOVE, layoutGraph, readableFit } from './layout';

export interface GraphNodeSpec {
  id: string;
  /** Short text on the node. */
  label: ReactNode;
  /** Second line, muted. */
  sub?: ReactNode;
  /** CSS modifier, e.g. a status (`running`) or a node type (`dataset`). */
  tone?: string;
  /** Thicker border: the node the page is about, or the selected one. */
  highlight?: boolean;
  /** Extra content under the label, e.g. an expand button. */
  extra?: ReactNode;
  /** Tooltip of the whole node: full ids that the label shortens. */
  title?: string;
}

export interface GraphEdgeSpec {
  from: string;
  to: string;
  label?: string;
  animated?: boolean;
}

interface Props {
  nodes: GraphNodeSpec[];
  edges: GraphEdgeSpec[];
  onNodeClick?: (id: string) => void;
  /** Box height for big graphs; small ones get the height their readable fit needs. */
  height?: number;
  /** `auto`: whichever direction fits the box at the larger zoom. */
  direction?: 'LR' | 'TB' | 'auto';
  ariaLabel: string;
  /** Big graphs open around this node instead of zoomed out to fit (e.g. the version a page is about). */
  focusId?: string;
}

type BoxData = { spec: GraphNodeSpec; horizontal: boolean };

const NODE_W = 200;
const NODE_H = 56;

const Box = memo(function Box({ data }: NodeProps<Node<BoxData>>) {
  const { spec, horizontal } = data;
  return (
    <div
      className={`flow-node${spec.tone ? ` flow-node-${spec.tone}` : ''}${spec.highlight ? ' flow-node-highlight' : ''}`}
      data-testid={`graph-node-${spec.id}`}
      title={spec.title}
    >
      <Handle type="target" position={horizontal ? Position.Left : Position.Top} isConnectable={false} />
      <div className="flow-node-label">{spec.label}</div>
      {spec.sub && <div className="flow-node-sub">{spec.sub}</div>}
      {spec.extra}
      <Handle type="source" position={horizontal ? Position.Right : Position.Bottom} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { box: Box };

const BIG_ZOOM = 0.8;
const PADDING = 16;
// Node text is 12–13 px; at zoom 1 it is at least 11 px on screen, and a fit never zooms past 1.
const FIT = { padding: PADDING, minHeight: 160, maxHeight: 800, maxZoom: 1 };

export function FlowGraph({
  nodes,
  edges,
  onNodeClick,
  height = 360,
  direction = 'auto',
  ariaLabel,
  focusId,
}: Props) {
  // The box's width decides the fit; until it is measured (and in jsdom) a half page is assumed.
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [measured, setMeasured] = useState(false);
  useLayoutEffect(() => {
    const node = box.current;
    if (!node) return;
    setWidth(node.clientWidth);
    setMeasured(true);
    const ro =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() =>
            setWidth((w) => (Math.abs(w - node.clientWidth) > 40 ? node.clientWidth : w)),
          );
    ro?.observe(node);
    return () => ro?.disconnect();
  }, []);
  const big = nodes.length > FAST_LAYOUT_ABOVE;

  const { rfNodes, rfEdges, fit } = useMemo(() => {
    const ids = nodes.map((n) => n.id);
    const opts = { nodeWidth: NODE_W, nodeHeight: NODE_H };
    const lr = layoutGraph(ids, edges, { ...opts, direction: 'LR' });
    const tb = direction === 'auto' && !big ? layoutGraph(ids, edges, { ...opts, direction: 'TB' }) : lr;
    const fit =
      direction === 'auto' && !big
        ? readableFit(
            width || 600,
            { LR: boundsOf(lr, NODE_W, NODE_H), TB: boundsOf(tb, NODE_W, NODE_H) },
            FIT,
          )
        : { direction: direction === 'auto' ? 'LR' : direction, zoom: BIG_ZOOM, height };
    const pos =
      fit.direction === 'TB'
        ? direction === 'auto'
          ? tb
          : layoutGraph(ids, edges, { ...opts, direction: 'TB' })
        : lr;
    const horizontal = fit.direction === 'LR';
    const rfNodes: Node<BoxData>[] = nodes.map((n) => ({
      id: n.id,
      type: 'box',
      position: pos.get(n.id) ?? { x: 0, y: 0 },
      data: { spec: n, horizontal },
      width: NODE_W,
      height: NODE_H,
      draggable: false,
      connectable: false,
      ariaLabel: typeof n.label === 'string' ? n.label : n.id,
    }));
    const known = new Set(ids);
    const rfEdges: Edge[] = edges
      .filter((e) => known.has(e.from) && known.has(e.to))
      .map((e, i) => ({
        id: `${e.from}->${e.to}#${i}`,
        source: e.from,
        target: e.to,
        label: e.label,
        animated: e.animated,
        markerEnd: { type: MarkerType.ArrowClosed },
        focusable: false,
      }));
    return { rfNodes, rfEdges, fit };
  }, [nodes, edges, direction, width, big, height]);

  // Fitting hundreds of nodes shrinks them past reading and makes every one render at once (about a
  // second at 500 nodes); a big graph opens at a readable zoom on its focus node and draws only what
  // is in view, the rest as the user pans or zooms out.
  const start = big ? (rfNodes.find((n) => n.id === focusId) ?? rfNodes[0]) : undefined;
  const viewport = start
    ? { x: 40 - start.position.x * BIG_ZOOM, y: 40 - start.position.y * BIG_ZOOM, zoom: BIG_ZOOM }
    : undefined;

  return (
    <div
      ref={box}
      className="flow-graph"
      style={{ height: fit.height }}
      role="group"
      aria-label={ariaLabel}
      data-direction={fit.direction}
    >
      {/* Mounted once the width is known, and again when the fit changes: React Flow fits only on mount. */}
      {measured && (
        <ReactFlow
          key={`${fit.direction}/${fit.height}`}
          nodes={rfNodes}
          edges={rfEdges}
          nodeTypes={nodeTypes}
          onNodeClick={onNodeClick ? (_e, n) => onNodeClick(n.id) : undefined}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={!!onNodeClick}
          onlyRenderVisibleElements={big}
          fitView={!big}
          defaultViewport={viewport}
          fitViewOptions={{ padding: `${PADDING}px`, maxZoom: FIT.maxZoom }}
          minZoom={0.05}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={16} size={1} />
          <Controls showInteractive={false} />
        </ReactFlow>
      )}
    </div>
  );
}
