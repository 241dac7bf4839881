// Where an alias pointed over time (alias_history, one row per move), newest first, so a reviewer can see
// when `production` changed, to what, and who moved it.
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { formatTime, shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

interface Props {
  alias: string;
  /** The artifact the page is about: its rows are marked. */
  current?: string;
}

export function AliasHistory({ alias, current }: Props) {
  const history = useApi((s) => api.getAliasHistory(alias, s), [alias]);
  const moves = [...(history.data?.items ?? [])].reverse();
  const ref = (id: string | null) =>
    id === null ? (
      <span className="muted">— (created)</span>
    ) : (
      <Link to={`/artifacts/${encodeURIComponent(id)}`}>
        <code title={id}>{shortId(id)}</code>
        {id === current && <span className="muted small"> (this version)</span>}
      </Link>
    );
  return (
    <div>
      <h3>
        <span className="alias">{alias}</span> history
      </h3>
      {history.loading && !history.data && <Loading what={`Loading history of ${alias}`} />}
      {history.error && <ErrorBox error={history.error} title={`Could not load the history of ${alias}`} />}
      {history.data && moves.length === 0 && <Empty>No recorded moves of {alias}.</Empty>}
      {moves.length > 0 && (
        <table aria-label={`History of alias ${alias}`}>
          <thead>
            <tr>
              <th>When</th>
              <th>Pointed to</th>
              <th>Before</th>
              <th>By</th>
            </tr>
          </thead>
          <tbody>
            {moves.map((m, i) => (
              <tr key={i} className={m.artifactId === current ? 'selected' : undefined}>
                <td>{formatTime(m.changedAt)}</td>
                <td>{ref(m.artifactId)}</td>
                <td>{ref(m.previousArtifactId)}</td>
                <td>{m.changedBy ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
