import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import type { Lineage, Run, Step } from '../api/types';
import { formatDuration, formatTime, shortId } from '../common/format';
import { StatusBadge } from '../common/StatusBadge';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { specStepId } from './runGraph';
import { stepSpecFragment } from './specFragment';
import { StepLog } from './StepLog';
import { formatMetric } from '../common/format';
import { StepMetrics } from './StepMetrics';
import { isPerExpertMetric } from '../routing/expertLoad';

interface Props {
  run: Run;
  step: Step;
  /** The template version's spec text, for the step's config; undefined while loading, null if unavailable. */
  spec: string | null | undefined;
  busy: boolean;
  onApprove: (stepId: string) => void;
}

/** Everything about one step: attempts with workers, live log tail, metric charts, config, inputs and outputs. */
export function StepPanel({ run, step, spec, busy, onApprove }: Props) {
  const latest = step.attempts.length ? step.attempts[step.attempts.length - 1].attempt : undefined;
  const [picked, setPicked] = useState<number>();
  const attempt = picked ?? latest;
  const current = step.attempts.find((a) => a.attempt === attempt);
  const live = current ? !current.finishedAt && current.status === 'RUNNING' : false;
  const fragment = spec ? stepSpecFragment(spec, specStepId(step.id, run.steps)) : null;

  return (
    <section className="step-panel" aria-label={`Step ${step.id}`}>
      <h2>
        Step <code>{step.id}</code> <StatusBadge status={step.status} />{' '}
        <span className="muted small">{step.kind}</span>
      </h2>
      {step.status === 'WAITING_APPROVAL' && (
        <div className="banner banner-warn">
          This step waits for approval.{' '}
          <button className="primary small" disabled={busy} onClick={() => onApprove(step.id)}>
            Approve
          </button>
        </div>
      )}
      <div className="columns">
        <div>
          <h3>Attempts</h3>
          {step.attempts.length === 0 ? (
            <p className="empty">Not started.</p>
          ) : (
            <table className="attempts-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Status</th>
                  <th>Worker</th>
                  <th>Started</th>
                  <th>Duration</th>
                  <th>Final metrics</th>
                </tr>
              </thead>
              <tbody>
                {step.attempts.map((a) => (
                  <tr key={a.attempt} className={a.attempt === attempt ? 'selected' : undefined}>
                    <td>
                      <button
                        className="link-button"
                        aria-pressed={a.attempt === attempt}
                        onClick={() => setPicked(a.attempt)}
                        title="show this attempt's log and metrics"
                      >
                        #{a.attempt}
                      </button>
                    </td>
                    <td>
                      <StatusBadge status={a.status} />
                      {a.error && <div className="error-text small">{a.error}</div>}
                    </td>
                    <td>{a.worker ?? <span className="muted">—</span>}</td>
                    <td>{formatTime(a.startedAt)}</td>
                    <td>{formatDuration(a.startedAt, a.finishedAt)}</td>
                    <td className="small">
                      {a.metrics && Object.keys(a.metrics).length > 0 ? (
                        <FinalMetrics metrics={a.metrics} />
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Outputs</h3>
          {Object.keys(step.outputs).length === 0 ? (
            <p className="empty">
              {step.status === 'SUCCEEDED' || step.status === 'REUSED' ? 'None.' : 'None yet.'}
            </p>
          ) : (
            <ul className="plain">
              {Object.entries(step.outputs).map(([name, o]) => (
                <li key={name}>
                  {name}:{' '}
                  <Link to={`/artifacts/${encodeURIComponent(o.artifactId)}`} title={o.artifactId}>
                    <code>{shortId(o.artifactId)}</code>
                  </Link>{' '}
                  <Link className="small" to={`/lineage?root=${encodeURIComponent(o.artifactId)}`}>
                    lineage
                  </Link>
                </li>
              ))}
            </ul>
          )}
          <StepInputs run={run} step={step} />
        </div>
        <div>
          <h3>Config</h3>
          {spec === undefined ? (
            <Loading what="Loading spec" />
          ) : fragment ? (
            <pre className="spec small">{fragment}</pre>
          ) : (
            <p className="empty">Not found in the template spec.</p>
          )}
          {step.needs.length > 0 && (
            <p className="small">
              needs{' '}
              {step.needs.map((n, i) => (
                <span key={n}>
                  {i > 0 && ', '}
                  <code>{n}</code>
                </span>
              ))}
            </p>
          )}
        </div>
      </div>
      {attempt !== undefined && (
        <>
          <StepMetrics runId={run.id} stepId={step.id} attempt={attempt} live={live} />
          <StepLog runId={run.id} stepId={step.id} attempt={attempt} live={live} />
        </>
      )}
    </section>
  );
}

/** Inputs are read from lineage: the edges into this step's attempt node, found via one of its outputs. */
function StepInputs({ run, step }: { run: Run; step: Step }) {
  const first = Object.values(step.outputs)[0]?.artifactId;
  const lineage = useApi<Lineage | null>(
    (s) => (first ? api.getLineage(first, 'ancestors', s) : Promise.resolve(null)),
    [first],
  );
  const prefix = `step:${run.id}/${step.id}/`;
  const inputs = (lineage.data?.edges ?? []).filter(
    (e) => e.to.startsWith(prefix) && e.from.startsWith('artifact:'),
  );
  const label = (id: string) => lineage.data?.nodes.find((n) => n.id === id)?.label ?? shortId(id.slice(9));
  return (
    <>
      <h3>Inputs</h3>
      {!first && <p className="empty">Known once the step has written an output.</p>}
      {lineage.error && <ErrorBox error={lineage.error} title="Could not load inputs" />}
      {first && lineage.loading && !lineage.data && <Loading what="Loading inputs" />}
      {lineage.data && inputs.length === 0 && <p className="empty">No artifact inputs.</p>}
      {inputs.length > 0 && (
        <ul className="plain">
          {inputs.map((e) => (
            <li key={e.from + e.role}>
              {e.role}:{' '}
              <Link to={`/artifacts/${encodeURIComponent(e.from.slice(9))}`} title={e.from.slice(9)}>
                {label(e.from)}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** An attempt's last values; an MoE step's per-expert loads are counted, not listed (the Expert load panel draws them). */
function FinalMetrics({ metrics }: { metrics: Record<string, number> }) {
  const entries = Object.entries(metrics);
  const perExpert = entries.filter(([k]) => isPerExpertMetric(k)).length;
  return (
    <>
      {entries
        .filter(([k]) => !isPerExpertMetric(k))
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(' ')}
      {perExpert > 0 && (
        <span className="muted"> (+{perExpert} per-expert values, in Expert load below)</span>
      )}
    </>
  );
}
