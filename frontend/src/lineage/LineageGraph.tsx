import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import type { Lineage } from '../api/types';
import { shortId } from '../common/format';
import { FlowGraph, type GraphNodeSpec } from '../common/graph/FlowGraph';
import { FAST_LAYOUT_ABOVE } from '../common/graph/layout';
import { ErrorBox, Loading } from '../common/states';
import { artifactIdOf, hrefOf, mergeLineages, nodeText, type MergedLineage } from './lineageGraph';

interface Props {
  /** Artifact id the graph starts from (this exact version). */
  root: string;
  height?: number;
}

/**
 * Ancestors and descendants of one artifact version as a graph. Any other artifact node can be
 * expanded, which walks its own lineage in both directions and merges it in.
 */
export function LineageGraph({ root, height = 440 }: Props) {
  const [graph, setGraph] = useState<MergedLineage>();
  const [error, setError] = useState<Error>();
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [expanding, setExpanding] = useState<string>();

  useEffect(() => {
    const ctl = new AbortController();
    setGraph(undefined);
    setError(undefined);
    setExpanded(new Set([root]));
    Promise.all([
      api.getLineage(root, 'ancestors', ctl.signal),
      api.getLineage(root, 'descendants', ctl.signal),
    ])
      .then((parts) => setGraph(mergeLineages(parts)))
      .catch((e: Error) => !ctl.signal.aborted && setError(e));
    return () => ctl.abort();
  }, [root]);

  const expand = async (artifactId: string) => {
    setExpanding(artifactId);
    try {
      const parts: Lineage[] = await Promise.all([
        api.getLineage(artifactId, 'ancestors'),
        api.getLineage(artifactId, 'descendants'),
      ]);
      setGraph((g) => mergeLineages([g, ...parts]));
      setExpanded((s) => new Set(s).add(artifactId));
    } catch (e) {
      setError(e as Error);
    } finally {
      setExpanding(undefined);
    }
  };

  const specs = useMemo(() => {
    if (!graph) return null;
    const rootNode = `artifact:${root}`;
    const nodes: GraphNodeSpec[] = graph.nodes.map((n) => {
      const a = artifactIdOf(n.id);
      const href = hrefOf(n.id);
      const { label: text, sub, run } = nodeText(n);
      const aliases = n.aliases ?? [];
      return {
        id: n.id,
        label: (
          <>
            {href ? (
              <Link to={href} className="flow-node-link">
                {text || (a ? shortId(a) : n.id)}
              </Link>
            ) : (
              text
            )}
            {run && <span className="chip chip-run">{run}</span>}
            {aliases.map((x) => (
              <span key={x} className="chip alias">
                {x}
              </span>
            ))}
          </>
        ),
        // The full ids, and where a node no step wrote came from ("imported from <uri> by <who>").
        title: [text, n.id, n.runId ? `run ${n.runId}` : null, n.origin].filter(Boolean).join('\n'),
        sub: n.deleted ? `${sub} · deleted` : n.origin ? `${sub} · imported` : sub,
        tone: n.type === 'step' ? 'step' : n.deleted ? 'deleted' : `artifact-${n.type}`,
        highlight: n.id === rootNode,
        extra:
          a && !expanded.has(a) ? (
            <button
              className="node-expand"
              onClick={(e) => {
                e.stopPropagation();
                void expand(a);
              }}
              disabled={expanding === a}
              aria-label={`expand lineage of ${text}`}
              title="expand: show this artifact's own ancestors and descendants"
            >
              {expanding === a ? '…' : '+'}
            </button>
          ) : undefined,
      };
    });
    const edges = graph.edges.map((e) => ({ from: e.from, to: e.to, label: e.role }));
    return { nodes, edges };
  }, [graph, root, expanded, expanding]);

  return (
    <div>
      {error && <ErrorBox error={error} title="Could not load lineage" />}
      {!graph && !error && <Loading what="Loading lineage" />}
      {specs && specs.nodes.length <= 1 && (
        <p className="empty">No lineage recorded: nothing made this artifact and nothing used it yet.</p>
      )}
      {specs && specs.nodes.length > 1 && (
        <>
          <p className="muted small">
            {specs.nodes.length} nodes, {specs.edges.length} edges ·{' '}
            <span className="legend legend-root">this version</span> · press + on a node to expand it
            {specs.nodes.length > FAST_LAYOUT_ABOVE ? ' · drag or zoom out to see the rest' : ''}
          </p>
          <FlowGraph
            nodes={specs.nodes}
            edges={specs.edges}
            ariaLabel="Lineage graph"
            height={height}
            focusId={`artifact:${root}`}
          />
        </>
      )}
    </div>
  );
}
