// The template editor: YAML on the left, validated as you type (every problem with its path), the step
// graph on the right, and saving as a new template or as the next version of an existing one.
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api } from '../../api/client';
import type { StepKindInfo } from '../../api/catalogTypes';
import { FlowGraph, type GraphEdgeSpec, type GraphNodeSpec } from '../../common/graph/FlowGraph';
import { Empty, ErrorBox } from '../../common/states';
import { useApi } from '../../common/useApi';
import { specEdges } from '../../specview/specGraph';
import { appendStep, saveTarget, STARTER_SPEC } from './editorModel';
import { useSpecValidation } from './useSpecValidation';

export function TemplateEditorPage() {
  // With a name: start from that template's latest spec, to save its next version.
  const { name } = useParams();
  const base = useApi((s) => (name ? api.getTemplate(name, s) : Promise.resolve(undefined)), [name]);
  if (name && !base.data) {
    return (
      <section>
        {base.error ? (
          <ErrorBox error={base.error} title="Could not load template" />
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  }
  return <TemplateEditor key={name ?? ''} initial={base.data?.spec ?? STARTER_SPEC} from={name} />;
}

export function TemplateEditor({ initial, from }: { initial: string; from?: string }) {
  const navigate = useNavigate();
  const [text, setText] = useState(initial);
  const [saveError, setSaveError] = useState<ApiError | Error>();
  const [saving, setSaving] = useState(false);
  const { result, checkedText, pending, error } = useSpecValidation(text);
  const kinds = useApi((s) => api.listStepKinds(s), []);
  const current = result !== undefined && checkedText === text;
  const target = result ? saveTarget(result) : null;

  useEffect(() => setSaveError(undefined), [text]);

  const save = async () => {
    if (!result || !target) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      const saved =
        target.kind === 'version'
          ? await api.newTemplateVersion(target.name, text)
          : await api.createTemplate(text);
      navigate(`/templates/${encodeURIComponent(saved.name)}`);
    } catch (e) {
      setSaveError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="template-editor">
      <p className="crumbs">
        <Link to="/templates">Templates</Link> /{' '}
        {from ? <Link to={`/templates/${encodeURIComponent(from)}`}>{from}</Link> : 'new'} / editor
      </p>
      <h1>{from ? `Edit ${from}` : 'New template'}</h1>
      <div className="columns">
        <div>
          <label htmlFor="spec-text">Spec (YAML)</label>
          <textarea
            id="spec-text"
            className="spec-editor"
            aria-label="Spec YAML"
            spellCheck={false}
            rows={Math.max(16, text.split('\n').length + 1)}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          <KindPicker
            kinds={kinds.data?.kinds ?? []}
            onInsert={(example) => setText((t) => appendStep(t, example))}
          />
        </div>
        <div>
          <ValidationStatus
            state={
              text.trim() === ''
                ? 'empty'
                : error
                  ? 'unchecked'
                  : pending || !current
                    ? 'checking'
                    : result.valid
                      ? 'valid'
                      : 'invalid'
            }
            count={current ? result.problems.length : 0}
          />
          {error && <ErrorBox error={error} title="Could not validate" />}
          {result && result.problems.length > 0 && (
            <ul aria-label="Problems" className="problems">
              {result.problems.map((p, i) => (
                <li key={i}>
                  <code>{p.path}</code>: {p.message}
                </li>
              ))}
            </ul>
          )}
          <StepGraph spec={checkedText ?? ''} steps={result?.steps ?? []} />
          <div className="actions">
            <button type="button" onClick={save} disabled={!current || !result.valid || !target || saving}>
              {target?.kind === 'version' ? `Save as version ${target.version}` : 'Create template'}
            </button>
            {current && result.valid && result.needsApproval && (
              <span className="muted">
                {' '}
                It runs your code on workers: an admin approves it before operators can launch it.
              </span>
            )}
          </div>
          {saveError && <ErrorBox error={saveError} title="Could not save" />}
          {saveError instanceof ApiError && saveError.problem.errors && (
            <ul aria-label="Save problems" className="problems">
              {saveError.problem.errors.map((p, i) => (
                <li key={i}>
                  <code>{p.path}</code>: {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}

function ValidationStatus({
  state,
  count,
}: {
  state: 'empty' | 'unchecked' | 'checking' | 'valid' | 'invalid';
  count: number;
}) {
  const text = {
    empty: 'Write a spec to check it.',
    unchecked: 'Not checked.',
    checking: 'Checking…',
    valid: 'Valid',
    invalid: `${count} problem${count === 1 ? '' : 's'}`,
  }[state];
  return (
    <p role="status" aria-label="Validation" className={state === 'invalid' ? 'error' : 'muted'}>
      {text}
    </p>
  );
}

function StepGraph({
  spec,
  steps,
}: {
  spec: string;
  steps: { id: string; kind: string; needs: string[]; dependsOn: string[] }[];
}) {
  const { nodes, edges } = useMemo(() => {
    const nodes: GraphNodeSpec[] = steps.map((s) => ({ id: s.id, label: s.id, sub: s.kind }));
    const edges: GraphEdgeSpec[] = specEdges(spec, steps).map((e) => ({
      from: e.from,
      to: e.to,
      label: e.outputs.join(', ') || undefined,
    }));
    return { nodes, edges };
  }, [spec, steps]);
  if (steps.length === 0) return <Empty>No steps yet.</Empty>;
  return (
    <FlowGraph
      nodes={nodes}
      edges={edges}
      ariaLabel="Editor step graph"
      height={Math.min(420, 160 + steps.length * 36)}
    />
  );
}

function KindPicker({ kinds, onInsert }: { kinds: StepKindInfo[]; onInsert: (example: string) => void }) {
  const withExamples = kinds.filter((k) => k.example);
  if (withExamples.length === 0) return null;
  return (
    <label className="small">
      Add a step:{' '}
      <select
        aria-label="Add a step of kind"
        value=""
        onChange={(e) => {
          const kind = withExamples.find((k) => k.name === e.target.value);
          if (kind?.example) onInsert(kind.example);
        }}
      >
        <option value="">choose a kind…</option>
        {withExamples.map((k) => (
          <option key={k.name} value={k.name} title={k.description}>
            {k.name}
          </option>
        ))}
      </select>
    </label>
  );
}
