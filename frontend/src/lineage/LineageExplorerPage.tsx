import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { LineageGraph } from './LineageGraph';
import { hrefOf, impactOf } from './lineageGraph';

/** Start from any artifact (alias, name or hash): its full lineage, or the impact of a change to it. */
export function LineageExplorerPage() {
  const [search, setSearch] = useSearchParams();
  const root = search.get('root') ?? '';
  const view = search.get('view') === 'impact' ? 'impact' : 'graph';
  const [input, setInput] = useState(root);
  // Resolving first turns an alias or name into the exact version the graph is about.
  const artifact = useApi((s) => (root ? api.getArtifact(root, s) : Promise.resolve(null)), [root]);
  const datasets = useApi((s) => api.listArtifacts('dataset', 50, s), []);

  const go = (e: FormEvent) => {
    e.preventDefault();
    if (input.trim()) setSearch({ root: input.trim(), ...(view === 'impact' ? { view } : {}) });
  };
  const setView = (v: string) => setSearch(v === 'impact' ? { root, view: v } : { root });

  return (
    <section>
      <h1>Lineage explorer</h1>
      <form onSubmit={go} className="filters" role="search">
        <label>
          Start from{' '}
          <input
            type="text"
            size={48}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder="checkpoint or dataset: alias, name or sha256"
          />
        </label>
        <button type="submit" className="primary">
          Explore
        </button>
      </form>
      {!root && (
        <>
          <Empty>Pick an artifact to explore, or one of the datasets below.</Empty>
          {datasets.data && datasets.data.items.length > 0 && (
            <ul className="plain">
              {datasets.data.items.map((d) => (
                <li key={d.id}>
                  <Link to={`/lineage?root=${encodeURIComponent(d.id)}&view=impact`}>
                    {d.name ?? shortId(d.id)}
                  </Link>{' '}
                  <span className="muted small">dataset {shortId(d.id, 8)}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {artifact.error && <ErrorBox error={artifact.error} title={`Could not find “${root}”`} />}
      {root && artifact.loading && !artifact.data && <Loading what="Resolving" />}
      {artifact.data && (
        <>
          <h2>
            <Link to={`/artifacts/${encodeURIComponent(artifact.data.id)}`}>
              {artifact.data.name ?? shortId(artifact.data.id)}
            </Link>{' '}
            <span className="muted small">
              {artifact.data.type} · {shortId(artifact.data.id, 16)}
            </span>
          </h2>
          <div role="tablist" className="tabs" aria-label="View">
            <button
              role="tab"
              aria-selected={view === 'graph'}
              className={view === 'graph' ? 'tab active' : 'tab'}
              onClick={() => setView('graph')}
            >
              Graph
            </button>
            <button
              role="tab"
              aria-selected={view === 'impact'}
              className={view === 'impact' ? 'tab active' : 'tab'}
              onClick={() => setView('impact')}
            >
              Impact analysis
            </button>
          </div>
          {view === 'graph' ? (
            <LineageGraph root={artifact.data.id} height={560} />
          ) : (
            <Impact id={artifact.data.id} />
          )}
        </>
      )}
    </section>
  );
}

function Impact({ id }: { id: string }) {
  const d = useApi((s) => api.getLineage(id, 'descendants', s), [id]);
  const rows = d.data ? impactOf(d.data) : [];
  const models = rows.filter((r) => r.node.type === 'checkpoint' || r.node.type === 'model');
  return (
    <div>
      {d.error && <ErrorBox error={d.error} title="Could not load descendants" />}
      {d.loading && !d.data && <Loading what="Walking descendants" />}
      {d.data && (
        <p>
          <strong>{models.length}</strong> checkpoint{models.length === 1 ? '' : 's'} and{' '}
          <strong>{rows.length}</strong> artifact
          {rows.length === 1 ? '' : 's'} in all derive from this version, directly or not.
        </p>
      )}
      {d.data && rows.length === 0 && <Empty>Nothing has used this artifact yet.</Empty>}
      {rows.length > 0 && (
        <table aria-label="Impact">
          <thead>
            <tr>
              <th>Artifact</th>
              <th>Type</th>
              <th>Generations</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.node.id}>
                <td>
                  <Link to={hrefOf(r.node.id)!}>{r.node.label ?? shortId(r.node.id.slice(9))}</Link>
                </td>
                <td>{r.node.type}</td>
                <td className="num">{Math.ceil(r.depth / 2)}</td>
                <td>
                  <code>{shortId(r.node.id.slice(9))}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
