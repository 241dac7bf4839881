import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Step } from '../api/types';
import { FlowGraph, type GraphEdgeSpec, type GraphNodeSpec } from '../common/graph/FlowGraph';
import { dagWithGroups, groupStatus } from './runGraph';

interface Props {
  steps: Step[];
  selected: string | null;
  /** Link target for a step node, e.g. `?step=<id>`. */
  hrefFor: (stepId: string) => string;
}

const statusText = (s: string) => s.toLowerCase().replace('_', ' ');

/**
 * The run's DAG, nodes coloured by live step status; a node links to its step panel. A matrix
 * fan-out is one node with its count until expanded.
 */
export function RunDag({ steps, selected, hrefFor }: Props) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const { nodes, edges } = useMemo(() => {
    const dag = dagWithGroups(steps, expanded);
    const nodes: GraphNodeSpec[] = dag.nodes.map((n) => {
      if (n.matrix) {
        const status = groupStatus(n.steps);
        const done = n.steps.filter((s) => s.status === 'SUCCEEDED' || s.status === 'REUSED').length;
        return {
          id: n.id,
          label: (
            <>
              {n.id} <span className="flow-node-count">×{n.steps.length}</span>
            </>
          ),
          sub: `${n.steps[0].kind} · ${done}/${n.steps.length} done`,
          tone: status.toLowerCase().replace('_', '-'),
          highlight: n.steps.some((s) => s.id === selected),
          title: n.steps.map((s) => `${s.id}: ${statusText(s.status)}`).join('\n'),
          extra: (
            <button
              className="node-expand"
              aria-label={`expand ${n.id} (${n.steps.length} steps)`}
              title="show each step of the fan-out"
              onClick={(e) => {
                e.stopPropagation();
                setExpanded((x) => new Set(x).add(n.id));
              }}
            >
              +
            </button>
          ),
        };
      }
      const s = n.steps[0];
      return {
        id: s.id,
        label: (
          <Link to={hrefFor(s.id)} className="flow-node-link">
            {s.id}
          </Link>
        ),
        sub: (
          <>
            {s.kind} · {statusText(s.status)}
            {s.attempts.length > 1 && ` · ${s.attempts.length} attempts`}
          </>
        ),
        tone: s.status.toLowerCase().replace('_', '-'),
        highlight: s.id === selected,
        title: s.id,
      };
    });
    const running = new Set(dag.nodes.filter((n) => groupStatus(n.steps) === 'RUNNING').map((n) => n.id));
    const edges: GraphEdgeSpec[] = dag.edges.map((e) => ({ ...e, animated: running.has(e.to) }));
    return { nodes, edges };
  }, [steps, selected, hrefFor, expanded]);
  return <FlowGraph nodes={nodes} edges={edges} ariaLabel="Run DAG" />;
}
