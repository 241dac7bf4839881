import { Link } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import type { Gpu } from '../api/types';
import { formatBytes, formatTime } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

/** A ratio as a whole percentage; null (not reported) as a dash. */
export function formatRatio(r: number | null | undefined): string {
  return r == null ? '—' : `${Math.round(r * 100)}%`;
}

/** One GPU: its sampled use (what nvidia-smi did not report shows as a dash) and the step it runs. */
function GpuLine({ gpu }: { gpu: Gpu }) {
  const used = gpu.memoryUsedBytes == null ? '—' : formatBytes(gpu.memoryUsedBytes);
  return (
    <li aria-label={`GPU ${gpu.index}`}>
      <strong>GPU {gpu.index}</strong> {gpu.name}
      <div className="small">
        <span title="utilisation">{formatRatio(gpu.utilizationRatio)} busy</span> ·{' '}
        <span title="memory used / total">
          {used} / {formatBytes(gpu.memoryTotalBytes)}
        </span>
        {gpu.temperatureCelsius != null && <> · {gpu.temperatureCelsius} °C</>}
        {' · '}
        {gpu.step ? (
          <Link
            to={`/runs/${encodeURIComponent(gpu.step.runId)}?step=${encodeURIComponent(gpu.step.stepId)}`}
          >
            {gpu.step.runId} / {gpu.step.stepId} (attempt {gpu.step.attempt})
          </Link>
        ) : gpu.leased ? (
          <span className="muted">leased to a run you cannot see</span>
        ) : (
          <span className="muted">free</span>
        )}
      </div>
    </li>
  );
}

/** The fleet: pools, GPUs per worker with their live use and step, running steps, last heartbeat. */
export function WorkersPage() {
  const workers = useApi((s) => api.listWorkers(s), [], { pollMs: 5000, stopWhen: () => false });
  const missing = workers.error && isNotAvailable(workers.error);
  const pools = new Map<string, NonNullable<typeof workers.data>['items']>();
  // A worker polling several pools is listed under each of them.
  for (const w of workers.data?.items ?? []) {
    for (const pool of w.pools) {
      const list = pools.get(pool) ?? [];
      list.push(w);
      pools.set(pool, list);
    }
  }
  return (
    <section>
      <h1>Workers</h1>
      {missing && (
        <Empty>
          The fleet view is not available yet: this server does not report workers. In local mode steps run as
          processes of the server itself.
        </Empty>
      )}
      {workers.error && !missing && <ErrorBox error={workers.error} title="Could not load workers" />}
      {workers.loading && !workers.data && !workers.error && <Loading what="Loading workers" />}
      {workers.data && workers.data.items.length === 0 && <Empty>No workers have reported in.</Empty>}
      {[...pools.entries()].map(([pool, list]) => (
        <div key={pool}>
          <h2>
            Pool <code>{pool}</code> <span className="muted small">{list.length} workers</span>
          </h2>
          <table aria-label={`Workers in ${pool}`}>
            <thead>
              <tr>
                <th>Worker</th>
                <th>Status</th>
                <th>Last heartbeat</th>
                <th>GPUs</th>
              </tr>
            </thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id}>
                  <td>
                    <code>{w.id}</code>
                    <div className="muted small">{w.host}</div>
                  </td>
                  <td>
                    <span
                      className={`badge badge-${w.status === 'BUSY' ? 'running' : w.status === 'IDLE' ? 'succeeded' : 'pending'}`}
                    >
                      {w.status}
                    </span>
                    {w.runningSteps > 0 && <div className="muted small">{w.runningSteps} running steps</div>}
                  </td>
                  <td>{formatTime(w.lastHeartbeatAt)}</td>
                  <td>
                    {w.gpus.length === 0 ? (
                      <span className="muted">CPU only</span>
                    ) : (
                      <>
                        <ul className="plain">
                          {w.gpus.map((g) => (
                            <GpuLine key={g.index} gpu={g} />
                          ))}
                        </ul>
                        {w.gpusSampledAt && (
                          <div className="muted small">sampled {formatTime(w.gpusSampledAt)}</div>
                        )}
                        {w.gpuProblems.map((p) => (
                          <div key={p} className="banner banner-error small pre-wrap" role="alert">
                            nvidia-smi: {p}
                          </div>
                        ))}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
