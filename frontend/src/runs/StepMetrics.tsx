import { api, isNotAvailable } from '../api/client';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { MetricChart } from './MetricChart';
import { groupMetrics } from './metrics';
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
  return (
    <div>
      <h3>Metrics</h3>
      {m.error && !isNotAvailable(m.error) && <ErrorBox error={m.error} title="Could not load metrics" />}
      {m.loading && !m.data && !m.error && <Loading what="Loading metrics" />}
      {((m.data && series.length === 0 && !routing) || (m.error && isNotAvailable(m.error))) && (
        <p className="empty">No metrics reported{live ? ' yet' : ''}.</p>
      )}
      {routing && <ExpertLoadPanel load={routing} live={live} />}
      {series.length > 0 && (
        <div className="charts">
          {series.map((s) => (
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

export function formatMetric(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(4);
}
