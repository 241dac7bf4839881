import { Link, useSearchParams } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import { shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import type { EvalColumn } from './compare';
import { EvalTable } from './EvalTable';

/** Compare checkpoints side by side; the selection lives in the URL (`?c=<id>&c=<id>`). */
export function EvalsPage() {
  const [search, setSearch] = useSearchParams();
  const picked = search.getAll('c');
  const checkpoints = useApi((s) => api.listArtifacts('checkpoint', 200, s), []);
  const key = picked.join(',');
  const evals = useApi(
    async (s): Promise<EvalColumn[]> =>
      Promise.all(
        picked.map(async (id) => {
          const label = checkpoints.data?.items.find((c) => c.id === id)?.name ?? shortId(id);
          return { id, label, results: (await api.getEvals(id, s)).items };
        }),
      ),
    [key, checkpoints.data],
  );

  const toggle = (id: string) => {
    const next = new URLSearchParams(search);
    next.delete('c');
    const set = picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id];
    set.forEach((x) => next.append('c', x));
    setSearch(next, { replace: true });
  };

  return (
    <section>
      <h1>Compare evals</h1>
      <div className="columns columns-narrow-left">
        <div>
          <h2>Checkpoints</h2>
          {checkpoints.error && <ErrorBox error={checkpoints.error} title="Could not load checkpoints" />}
          {checkpoints.loading && !checkpoints.data && <Loading what="Loading checkpoints" />}
          {checkpoints.data && checkpoints.data.items.length === 0 && (
            <Empty>No checkpoints yet. Training steps register them.</Empty>
          )}
          <ul className="plain pick-list">
            {checkpoints.data?.items.map((c) => (
              <li key={c.id}>
                <label>
                  <input type="checkbox" checked={picked.includes(c.id)} onChange={() => toggle(c.id)} />{' '}
                  {c.name ?? shortId(c.id)} <span className="muted small">{shortId(c.id, 8)}</span>
                </label>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h2>Results</h2>
          {picked.length === 0 && <Empty>Pick two or more checkpoints to compare them.</Empty>}
          {picked.length > 0 && evals.loading && !evals.data && <Loading what="Loading eval results" />}
          {evals.error && isNotAvailable(evals.error) && (
            <Empty>Eval results are not available yet (the server has no evals endpoint).</Empty>
          )}
          {evals.error && !isNotAvailable(evals.error) && (
            <ErrorBox error={evals.error} title="Could not load eval results" />
          )}
          {picked.length > 0 && evals.data && <EvalTable columns={evals.data} chart />}
          {picked.length > 0 && (
            <p className="small">
              {picked.map((id) => (
                <span key={id}>
                  <Link to={`/artifacts/${encodeURIComponent(id)}`}>{shortId(id)}</Link>{' '}
                </span>
              ))}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
