import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import type { Step } from '../api/types';
import { FlowGraph, type GraphEdgeSpec, type GraphNodeSpec } from '../common/graph/FlowGraph';
import { stepEdges } from './runGraph';

interface Props {
  steps: Step[];
  selected: string | null;
  /** Link target for a step node, e.g. `?step=<id>`. */
  hrefFor: (stepId: string) => string;
}

/** The run's DAG, nodes coloured by live step status; a node links to its step panel. */
export function RunDag({ steps, selected, hrefFor }: Props) {
  const { nodes, edges } = useMemo(() => {
    const nodes: GraphNodeSpec[] = steps.map((s) => ({
      id: s.id,
      label: (
        <Link to={hrefFor(s.id)} className="flow-node-link">
          {s.id}
        </Link>
      ),
      sub: (
        <>
          {s.kind} · {s.status.toLowerCase().replace('_', ' ')}
          {s.attempts.length > 1 && ` · ${s.attempts.length} attempts`}
        </>
      ),
      tone: s.status.toLowerCase().replace('_', '-'),
      highlight: s.id === selected,
    }));
    const edges: GraphEdgeSpec[] = stepEdges(steps).map((e) => ({
      ...e,
      animated: steps.find((s) => s.id === e.to)?.status === 'RUNNING',
    }));
    return { nodes, edges };
  }, [steps, selected, hrefFor]);
  return (
    <FlowGraph
      nodes={nodes}
      edges={edges}
      ariaLabel="Run DAG"
      height={Math.min(420, 140 + steps.length * 28)}
    />
  );
}
