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
import { memo, useMemo, type ReactNode } from 'react';
import { FAST_LAYOUT_ABOVE, layoutGraph } from './layout';

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
  height?: number;
  direction?: 'LR' | 'TB';
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

export function FlowGraph({
  nodes,
  edges,
  onNodeClick,
  height = 360,
  direction = 'LR',
  ariaLabel,
  focusId,
}: Props) {
  const { rfNodes, rfEdges } = useMemo(() => {
    const pos = layoutGraph(
      nodes.map((n) => n.id),
      edges,
      { direction, nodeWidth: NODE_W, nodeHeight: NODE_H },
    );
    const horizontal = direction === 'LR';
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
    const ids = new Set(nodes.map((n) => n.id));
    const rfEdges: Edge[] = edges
      .filter((e) => ids.has(e.from) && ids.has(e.to))
      .map((e, i) => ({
        id: `${e.from}->${e.to}#${i}`,
        source: e.from,
        target: e.to,
        label: e.label,
        animated: e.animated,
        markerEnd: { type: MarkerType.ArrowClosed },
        focusable: false,
      }));
    return { rfNodes, rfEdges };
  }, [nodes, edges, direction]);

  // Fitting hundreds of nodes shrinks them past reading and makes every one render at once (about a
  // second at 500 nodes); a big graph opens at a readable zoom on its focus node and draws only what
  // is in view, the rest as the user pans or zooms out.
  const big = nodes.length > FAST_LAYOUT_ABOVE;
  const start = big ? (rfNodes.find((n) => n.id === focusId) ?? rfNodes[0]) : undefined;
  const viewport = start
    ? { x: 40 - start.position.x * BIG_ZOOM, y: 40 - start.position.y * BIG_ZOOM, zoom: BIG_ZOOM }
    : undefined;

  return (
    <div className="flow-graph" style={{ height }} role="group" aria-label={ariaLabel}>
      <ReactFlow
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
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
