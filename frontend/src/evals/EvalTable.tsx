import { formatMetric } from '../common/format';
import { compareEvals, type EvalColumn } from './compare';

/** Metrics down, checkpoints across; the best value per metric is marked, with a bar to compare at a glance. */
export function EvalTable({ columns, chart = false }: { columns: EvalColumn[]; chart?: boolean }) {
  const rows = compareEvals(columns);
  if (rows.length === 0) return <p className="empty">No eval results for these checkpoints.</p>;
  return (
    <table className="eval-table" aria-label="Eval results">
      <thead>
        <tr>
          <th>Suite</th>
          <th>Metric</th>
          {columns.map((c) => (
            <th key={c.id} title={c.id}>
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const max = Math.max(...r.values.map((v) => Math.abs(v ?? 0)), 1e-12);
          return (
            <tr key={`${r.suite}/${r.metric}`}>
              <td>{r.suite}</td>
              <td>
                {r.metric} <span className="muted small">{r.higherIsBetter ? '↑' : '↓'}</span>
              </td>
              {r.values.map((v, i) => (
                <td
                  key={i}
                  className={`num${r.best.includes(i) ? ' best' : ''}`}
                  aria-label={r.best.includes(i) ? 'best' : undefined}
                >
                  {v === null ? <span className="muted">—</span> : formatMetric(v)}
                  {chart && v !== null && (
                    <span
                      className="eval-bar"
                      style={{ width: `${(Math.abs(v) / max) * 100}%` }}
                      aria-hidden
                    />
                  )}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
