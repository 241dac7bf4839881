import { Link } from 'react-router-dom';
import type { Step } from '../api/types';
import { formatDuration } from '../common/format';
import { StatusBadge } from '../common/StatusBadge';

interface Props {
  steps: Step[];
  selected: string | null;
  hrefFor: (stepId: string) => string;
  onApprove: (stepId: string) => void;
  busy: boolean;
}

/** Steps at a glance; a row's link opens the step panel (keyboard: Tab to the link, Enter). */
export function StepsTable({ steps, selected, hrefFor, onApprove, busy }: Props) {
  return (
    <table className="steps-table">
      <thead>
        <tr>
          <th>Step</th>
          <th>Kind</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Worker</th>
          <th>Duration</th>
          <th>Outputs</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => {
          const last = s.attempts[s.attempts.length - 1];
          return (
            <tr
              key={s.id}
              className={s.id === selected ? 'selected' : undefined}
              aria-selected={s.id === selected}
            >
              <td>
                <Link to={hrefFor(s.id)}>
                  <code>{s.id}</code>
                </Link>
              </td>
              <td>{s.kind}</td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td className="num">{s.attempts.length || <span className="muted">—</span>}</td>
              <td>{last?.worker ?? <span className="muted">—</span>}</td>
              <td>
                {last ? formatDuration(last.startedAt, last.finishedAt) : <span className="muted">—</span>}
              </td>
              <td className="num">{Object.keys(s.outputs).length || <span className="muted">—</span>}</td>
              <td className="actions">
                {s.status === 'WAITING_APPROVAL' && (
                  <button className="primary small" disabled={busy} onClick={() => onApprove(s.id)}>
                    Approve
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
