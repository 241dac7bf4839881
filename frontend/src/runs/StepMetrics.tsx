import { api, isNotAvailable } from '../api/client';
import { formatMetric } from '../common/format';
import { ErrorBox, Loading } from '../common/states';
import { useMemo } from 'react';
import { useApi } from '../common/useApi';
import { MetricChart } from './MetricChart';
import { groupMetrics, panelsOf, sharedSteps } from './metrics';
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
  const data = m.data;
  // Grouped once per poll: the charts' data (one x axis for all of them) keeps its identity between renders.
  const { routing, panels, values, steps } = useMemo(() => {
    const points = data?.points ?? [];
    // An MoE step's per-expert metrics go into one layer × expert panel, not one chart each.
    const routing = expertLoad(points);
    const series = groupMetrics(routing ? points.filter((p) => !isRoutingMetric(p.name)) : points);
    const { panels, values } = panelsOf(series);
    // One x axis for every chart of the step, so a hover or a zoom reads the same step in each.
    return { routing, panels, values, steps: sharedSteps(panels) };
  }, [data]);
  const syncKey = `step-metrics:${runId}:${stepId}:${attempt ?? 'latest'}`;
  return (
    <div>
      <h3>Metrics</h3>
      {m.error && !isNotAvailable(m.error) && <ErrorBox error={m.error} title="Could not load metrics" />}
      {m.loading && !m.data && !m.error && <Loading what="Loading metrics" />}
      {((m.data && panels.length === 0 && values.length === 0 && !routing) ||
        (m.error && isNotAvailable(m.error))) && (
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
      {panels.length > 0 && (
        <div className="charts">
          {panels.map(({ name, train, evals }) => (
            <figure key={name} className="chart-card">
              <figcaption>
                <strong>{name}</strong>{' '}
                <span className="muted small">
                  last {formatMetric(train.last)} · {train.steps.length} points
                </span>
                {evals && (
                  <span className="small eval-legend">
                    {' '}
                    · <span className="swatch-eval" aria-hidden="true" /> {evals.name} last{' '}
                    {formatMetric(evals.last)} at step {evals.steps[evals.steps.length - 1]} ·{' '}
                    {evals.steps.length} evaluations
                  </span>
                )}
              </figcaption>
              <MetricChart series={train} evals={evals} steps={steps} syncKey={syncKey} />
            </figure>
          ))}
        </div>
      )}
    </div>
  );
}
