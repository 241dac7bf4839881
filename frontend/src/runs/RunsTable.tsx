import { Link } from 'react-router-dom';
import type { RunSummary } from '../api/types';
import { formatDuration, formatTime } from '../common/format';
import { StatusBadge } from '../common/StatusBadge';

export function RunsTable({ runs }: { runs: RunSummary[] }) {
  return (
    <table className="runs-table">
      <thead>
        <tr>
          <th>Run</th>
          <th>Template</th>
          <th>Status</th>
          <th>Created</th>
          <th>Duration</th>
          <th>Launched by</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td>
              <Link to={`/runs/${encodeURIComponent(r.id)}`}>
                <code>{r.id}</code>
              </Link>
            </td>
            <td>
              <Link to={`/templates/${encodeURIComponent(r.template)}`}>{r.template}</Link>@{r.templateVersion}
            </td>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>{formatTime(r.createdAt)}</td>
            <td>{formatDuration(r.startedAt, r.finishedAt)}</td>
            <td>{r.launchedBy ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
