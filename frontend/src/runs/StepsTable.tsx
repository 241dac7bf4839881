import { Fragment, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Step } from '../api/types';
import { formatDuration, formatTime, shortId } from '../common/format';
import { StatusBadge } from '../common/StatusBadge';
import { StepLog } from './StepLog';

interface Props {
  runId: string;
  steps: Step[];
  onApprove: (stepId: string) => void;
  busy: boolean;
}

export function StepsTable({ runId, steps, onApprove, busy }: Props) {
  const [openLogs, setOpenLogs] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpenLogs((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <table className="steps-table">
      <thead>
        <tr>
          <th>Step</th>
          <th>Kind</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Outputs</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <Fragment key={s.id}>
            <tr>
              <td>
                <code>{s.id}</code>
                {s.needs.length > 0 && <div className="muted small">needs {s.needs.join(', ')}</div>}
              </td>
              <td>{s.kind}</td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td>
                {s.attempts.length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ol className="attempts">
                    {s.attempts.map((a) => (
                      <li key={a.attempt}>
                        #{a.attempt} <StatusBadge status={a.status} />
                        {a.worker && <span className="muted small"> on {a.worker}</span>}
                        <div className="muted small">
                          {formatTime(a.startedAt)} · {formatDuration(a.startedAt, a.finishedAt)}
                        </div>
                        {a.error && <div className="error-text">{a.error}</div>}
                      </li>
                    ))}
                  </ol>
                )}
              </td>
              <td>
                {Object.keys(s.outputs).length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="plain">
                    {Object.entries(s.outputs).map(([name, o]) => (
                      <li key={name}>
                        {name}:{' '}
                        <Link to={`/artifacts/${encodeURIComponent(o.artifactId)}`} title={o.artifactId}>
                          <code>{shortId(o.artifactId)}</code>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td className="actions">
                {s.status === 'WAITING_APPROVAL' && (
                  <button className="primary small" disabled={busy} onClick={() => onApprove(s.id)}>
                    Approve
                  </button>
                )}
                <button className="small" aria-expanded={openLogs.has(s.id)} onClick={() => toggle(s.id)}>
                  {openLogs.has(s.id) ? 'hide log' : 'log'}
                </button>
              </td>
            </tr>
            {openLogs.has(s.id) && (
              <tr className="log-row">
                <td colSpan={6}>
                  <StepLog runId={runId} stepId={s.id} live={s.status === 'RUNNING'} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
