// A template version's YAML and its step graph side by side; selecting a step (graph node or step list)
// highlights its block in the YAML.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TemplateStep } from '../api/types';
import { FlowGraph, type GraphEdgeSpec, type GraphNodeSpec } from '../common/graph/FlowGraph';
import { Empty } from '../common/states';
import { specEdges, stepLineRange } from './specGraph';

interface Props {
  spec: string;
  steps: TemplateStep[];
}

export function SpecViewer({ spec, steps }: Props) {
  const [selected, setSelected] = useState<string | null>(null);
  const edges = useMemo(() => specEdges(spec, steps), [spec, steps]);
  const range = selected ? stepLineRange(spec, selected) : null;
  const lines = useMemo(() => spec.split(/\r?\n/), [spec]);
  const preRef = useRef<HTMLPreElement>(null);

  // Bring the selected block into view inside the YAML pane (not the page).
  useEffect(() => {
    const pre = preRef.current;
    const first = range ? pre?.querySelector<HTMLElement>(`[data-line="${range.start}"]`) : null;
    if (pre && first) pre.scrollTop = Math.max(0, first.offsetTop - 8);
  }, [range?.start]); // eslint-disable-line react-hooks/exhaustive-deps

  const { nodes, graphEdges } = useMemo(() => {
    const nodes: GraphNodeSpec[] = steps.map((s) => ({
      id: s.id,
      label: s.id,
      sub: s.kind,
      highlight: s.id === selected,
    }));
    const graphEdges: GraphEdgeSpec[] = edges.map((e) => ({
      from: e.from,
      to: e.to,
      label: e.outputs.join(', ') || undefined,
    }));
    return { nodes, graphEdges };
  }, [steps, edges, selected]);

  const toggle = (id: string) => setSelected((cur) => (cur === id ? null : id));
  const dependsOn = (id: string) => edges.filter((e) => e.to === id).map((e) => e.from);

  return (
    <div className="spec-viewer">
      <div className="spec-viewer-graph">
        {steps.length === 0 ? (
          <Empty>No steps.</Empty>
        ) : (
          <>
            <FlowGraph
              nodes={nodes}
              edges={graphEdges}
              onNodeClick={toggle}
              ariaLabel="Template step graph"
              height={Math.min(420, 160 + steps.length * 36)}
            />
            <table aria-label="Steps" className="spec-steps">
              <thead>
                <tr>
                  <th>Step</th>
                  <th>Kind</th>
                  <th>Depends on</th>
                </tr>
              </thead>
              <tbody>
                {steps.map((s) => (
                  <tr key={s.id} className={s.id === selected ? 'selected' : undefined}>
                    <td>
                      {/* The keyboard path to selection; graph nodes are for the mouse. */}
                      <button
                        type="button"
                        className="link-button"
                        aria-pressed={s.id === selected}
                        onClick={() => toggle(s.id)}
                      >
                        <code>{s.id}</code>
                      </button>
                    </td>
                    <td>{s.kind}</td>
                    <td>{dependsOn(s.id).join(', ') || <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
      <pre className="spec spec-lines" ref={preRef} aria-label="Spec YAML" tabIndex={0}>
        {lines.map((l, i) => {
          const inBlock = range !== null && i >= range.start && i <= range.end;
          return (
            <span key={i} data-line={i} className={inBlock ? 'spec-line spec-line-selected' : 'spec-line'}>
              {l}
            </span>
          );
        })}
      </pre>
    </div>
  );
}
