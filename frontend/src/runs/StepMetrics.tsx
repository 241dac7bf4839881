import { api, isNotAvailable } from '../api/client';
import { formatMetric } from '../common/format';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { MetricChart } from './MetricChart';
import { groupMetrics, splitSeries } from './metrics';
import { expertLoad, isRoutingMetric } from '../routing/expertLoad';
import { ExpertLoadPanel } from '../routing/ExpertLoadPanel';

/** Charts of every metric the step attempt reported (loss, lr, tokens/s, GPU memory…). */
export function StepMetrics({
  runId,
  stepId,
  attempt,
  live,
}: {
  runId: string;
  stepId: string;
  attempt?: number;
  live: boolean;
}) {
  const m = useApi((s) => api.getStepMetrics(runId, stepId, s, attempt), [runId, stepId, attempt], {
    pollMs: 3000,
    stopWhen: () => !live,
  });
  const points = m.data?.points ?? [];
  // An MoE step's per-expert metrics go into one layer × expert panel, not one chart each.
  const routing = expertLoad(points);
  const series = groupMetrics(routing ? points.filter((p) => !isRoutingMetric(p.name)) : points);
  const { curves, values } = splitSeries(series);
  return (
    <div>
      <h3>Metrics</h3>
      {m.error && !isNotAvailable(m.error) && <ErrorBox error={m.error} title="Could not load metrics" />}
      {m.loading && !m.data && !m.error && <Loading what="Loading metrics" />}
      {((m.data && series.length === 0 && !routing) || (m.error && isNotAvailable(m.error))) && (
        <p className="empty">No metrics reported{live ? ' yet' : ''}.</p>
      )}
      {routing && <ExpertLoadPanel load={routing} live={live} />}
      {values.length > 0 && (
        <table className="metric-values" aria-label="Metric values">
          <tbody>
            {values.map((s) => (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td className="num">{formatMetric(s.last)}</td>
                <td className="muted small">{s.steps.length === 1 ? `at step ${s.steps[0]}` : 'constant'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {curves.length > 0 && (
        <div className="charts">
          {curves.map((s) => (
            <figure key={s.name} className="chart-card">
              <figcaption>
                <strong>{s.name}</strong>{' '}
                <span className="muted small">
                  last {formatMetric(s.last)} · {s.steps.length} points
                </span>
              </figcaption>
              <MetricChart series={s} />
            </figure>
          ))}
        </div>
      )}
    </div>
  );
}
