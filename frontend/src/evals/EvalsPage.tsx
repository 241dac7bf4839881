import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import { formatTime, shortId } from '../common/format';
import { CheckpointLabel } from '../checkpoints/CheckpointLabel';
import { checkpointName, formatBestEval, matchesCheckpoint } from '../checkpoints/naming';
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
  const [filter, setFilter] = useState('');
  const evals = useApi(
    async (s): Promise<EvalColumn[]> =>
      Promise.all(
        picked.map(async (id) => {
          const c = checkpoints.data?.items.find((x) => x.id === id);
          const label = c ? checkpointName(c) : shortId(id);
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
          <input
            type="search"
            aria-label="Filter checkpoints"
            placeholder="template/step, run, alias"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <ul className="plain pick-list" aria-label="Checkpoints to compare">
            {/* Checkpoints with evaluations first: only they have anything to compare. */}
            {[...(checkpoints.data?.items ?? [])]
              .filter((c) => matchesCheckpoint(c, filter))
              .sort((x, y) => Number(!!y.bestEval) - Number(!!x.bestEval))
              .map((c) => (
                <li key={c.id} data-scored={c.bestEval ? true : undefined}>
                  <label>
                    <input type="checkbox" checked={picked.includes(c.id)} onChange={() => toggle(c.id)} />{' '}
                    <CheckpointLabel a={c} aliases={c.aliases} />
                    <span className="muted small pick-detail">
                      {c.producedBy ? `step ${c.producedBy.stepId} · ` : ''}
                      {formatTime(c.createdAt)}
                      {c.bestEval ? ` · ${formatBestEval(c.bestEval)}` : ' · no evals'}
                    </span>
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
                  <Link to={`/artifacts/${encodeURIComponent(id)}`}>
                    {(() => {
                      const c = checkpoints.data?.items.find((x) => x.id === id);
                      return c ? checkpointName(c) : shortId(id);
                    })()}
                  </Link>{' '}
                </span>
              ))}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
