import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import type { MetricPoint, Run } from '../api/types';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { formatMetric } from '../common/format';
import { CompareChart, RUN_COLORS } from './CompareChart';
import { compareSearch, MAX_RUNS, parseCompareState, type CompareState, type XAxis } from './compareState';
import { availableAxes, buildCurves, curveMetrics } from './curves';
import { evalRows, runDiff } from './runDiff';

const X_NAMES: Record<XAxis, string> = { step: 'Step', tokens: 'Tokens', time: 'Wall time' };

/** A step's metric points, or none when the run has no such step or no metrics file. */
async function pointsOf(runId: string, stepId: string, signal: AbortSignal): Promise<MetricPoint[]> {
  try {
    return (await api.getStepMetrics(runId, stepId, signal)).points;
  } catch (e) {
    if (isNotAvailable(e)) return [];
    throw e;
  }
}

/**
 * 2–10 runs side by side: one metric's curves overlaid (EMA smoothing, log axis, x as step, tokens
 * or wall time), their evaluate steps' scores with the best marked, and what differs in their launch.
 */
export function ComparePage() {
  const [search, setSearch] = useSearchParams();
  const state = parseCompareState(search);
  const update = (patch: Partial<CompareState>) =>
    setSearch(compareSearch({ ...state, ...patch }), { replace: true });

  const runsKey = state.runs.join(',');
  const runs = useApi((s) => Promise.all(state.runs.map((id) => api.getRun(id, s))), [runsKey]);
  const loaded = runs.data;

  // Steps in the first run's order, then any only later runs have.
  const stepIds = useMemo(
    () => [...new Set((loaded ?? []).flatMap((r) => r.steps.map((s) => s.id)))],
    [loaded],
  );

  // The step drawn: the URL's, else the first step (in run order) with a curve to draw.
  const metrics = useApi(
    async (s) => {
      if (!loaded) return undefined;
      const candidates = state.step ? [state.step] : stepIds;
      for (const step of candidates) {
        const perRun = await Promise.all(loaded.map((r) => pointsOf(r.id, step, s)));
        if (state.step || curveMetrics(perRun).length) return { step, perRun };
      }
      return { step: state.step, perRun: loaded.map(() => [] as MetricPoint[]) };
    },
    [loaded, state.step],
  );

  const perRun = metrics.data?.perRun;
  const names = useMemo(() => (perRun ? curveMetrics(perRun) : []), [perRun]);
  const axes = useMemo(() => (perRun ? availableAxes(perRun) : ['step' as XAxis]), [perRun]);
  const metric = state.metric && names.includes(state.metric) ? state.metric : (names[0] ?? '');
  const x = axes.includes(state.x) ? state.x : 'step';
  const curves = useMemo(
    () => (perRun && metric ? buildCurves(state.runs, perRun, metric, x, state.smoothing) : []),
    [perRun, metric, x, state.smoothing, runsKey], // eslint-disable-line react-hooks/exhaustive-deps
  );

  if (state.runs.length < 2) {
    return (
      <section>
        <h1>Compare runs</h1>
        <Empty>
          Pick 2 to {MAX_RUNS} runs in the <Link to="/runs">runs list</Link> (or a template’s runs), then
          “Compare”.
        </Empty>
      </section>
    );
  }

  const remove = (id: string) => update({ runs: state.runs.filter((r) => r !== id) });

  return (
    <section className="compare-page">
      <h1>Compare {state.runs.length} runs</h1>
      <ul className="compare-runs" aria-label="Compared runs">
        {state.runs.map((id, i) => (
          <li key={id}>
            <span className="swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />
            <Link to={`/runs/${encodeURIComponent(id)}`}>{id}</Link>
            <button
              type="button"
              className="link-button"
              aria-label={`Remove ${id}`}
              onClick={() => remove(id)}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      {runs.error && <ErrorBox error={runs.error} title="Could not load the runs" />}
      {runs.loading && !loaded && <Loading what="Loading runs" />}
      {loaded && (
        <>
          <h2>Metrics</h2>
          <div className="filters compare-controls">
            <label>
              Step{' '}
              <select
                value={metrics.data?.step ?? state.step}
                onChange={(e) => update({ step: e.target.value, metric: '' })}
              >
                {stepIds.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Metric{' '}
              <select value={metric} onChange={(e) => update({ metric: e.target.value })}>
                {names.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Smoothing{' '}
              <input
                type="range"
                min={0}
                max={0.99}
                step={0.01}
                value={state.smoothing}
                onChange={(e) => update({ smoothing: Number(e.target.value) })}
              />{' '}
              <output>{state.smoothing.toFixed(2)}</output>
            </label>
            <label>
              <input
                type="checkbox"
                checked={state.logY}
                onChange={(e) => update({ logY: e.target.checked })}
              />{' '}
              Log y axis
            </label>
            <fieldset className="inline-fieldset">
              <legend>x axis</legend>
              {(['step', 'tokens', 'time'] as XAxis[]).map((a) => (
                <label
                  key={a}
                  title={axes.includes(a) ? undefined : 'the metrics of this step do not carry it'}
                >
                  <input
                    type="radio"
                    name="x-axis"
                    value={a}
                    checked={x === a}
                    disabled={!axes.includes(a)}
                    onChange={() => update({ x: a })}
                  />{' '}
                  {X_NAMES[a]}
                </label>
              ))}
            </fieldset>
          </div>
          {metrics.error && <ErrorBox error={metrics.error} title="Could not load metrics" />}
          {metrics.loading && !metrics.data && <Loading what="Loading metrics" />}
          {metrics.data && !metric && <Empty>No curve in step {metrics.data.step} of these runs.</Empty>}
          {metric && (
            <CompareChart metric={metric} curves={curves} labels={state.runs} x={x} logY={state.logY} />
          )}
          <EvalTable runs={loaded} />
          <DiffTable runs={loaded} />
        </>
      )}
    </section>
  );
}

function RunHeaders({ runs }: { runs: Run[] }) {
  return (
    <>
      {runs.map((r, i) => (
        <th key={r.id} scope="col">
          <span className="swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />
          {r.id}
        </th>
      ))}
    </>
  );
}

function EvalTable({ runs }: { runs: Run[] }) {
  const rows = evalRows(runs);
  return (
    <>
      <h2>Evaluations</h2>
      {rows.length === 0 ? (
        <Empty>No evaluate step of these runs has recorded scores.</Empty>
      ) : (
        <table className="eval-table" aria-label="Evaluations">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Metric</th>
              <RunHeaders runs={runs} />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.step}/${r.metric}`}>
                <td>{r.step}</td>
                <td>
                  {r.metric} <span className="muted small">{r.higherIsBetter ? '↑' : '↓'}</span>
                </td>
                {r.values.map((v, i) => {
                  const best = r.best.includes(i);
                  return (
                    <td key={i} className={best ? 'best' : undefined} data-best={best || undefined}>
                      {v === null ? '—' : formatMetric(v)}
                      {best && <span aria-label="best"> ★</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function DiffTable({ runs }: { runs: Run[] }) {
  const rows = runDiff(runs);
  return (
    <>
      <h2>Config and parameters</h2>
      <table className="diff-table" aria-label="Config and parameters">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <RunHeaders runs={runs} />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.key}
              className={r.differs ? 'differs' : undefined}
              data-differs={r.differs || undefined}
            >
              <th scope="row">
                {r.label}
                {r.differs && <span className="muted small"> (differs)</span>}
              </th>
              {r.values.map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
