import { api, isNotAvailable } from '../api/client';
import { formatBytes, formatTime } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

/** The fleet: pools, GPUs per worker, how many steps each runs, last heartbeat. */
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
                      <ul className="plain">
                        {w.gpus.map((g) => (
                          <li key={g.index}>
                            GPU {g.index} {g.name} · {formatBytes(g.memoryTotalBytes)}
                          </li>
                        ))}
                      </ul>
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
