import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { LineageDirection } from '../api/types';
import { formatBytes, formatTime, shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { lineageLinks } from './lineageNodes';

export function ArtifactPage() {
  const { id = '' } = useParams();
  const { data: a, error, loading } = useApi((s) => api.getArtifact(id, s), [id]);

  return (
    <section>
      <p className="crumbs">Artifacts / {shortId(id, 16)}</p>
      {error && <ErrorBox error={error} title="Could not load artifact" />}
      {loading && !a && <Loading what="Loading artifact" />}
      {a && (
        <>
          <h1>
            {a.type} <code className="break">{a.id}</code>
          </h1>
          <dl className="facts">
            <dt>Type</dt>
            <dd>{a.type}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(a.sizeBytes)}</dd>
            <dt>Created</dt>
            <dd>{formatTime(a.createdAt)}</dd>
            <dt>Produced by</dt>
            <dd>
              {a.producedBy ? (
                <>
                  run <Link to={`/runs/${encodeURIComponent(a.producedBy.runId)}`}>{a.producedBy.runId}</Link>, step{' '}
                  <code>{a.producedBy.stepId}</code>, attempt {a.producedBy.attempt}
                </>
              ) : (
                <span className="muted">registered, not produced by a run</span>
              )}
            </dd>
            <dt>Aliases</dt>
            <dd>{a.aliases.length ? a.aliases.join(', ') : <span className="muted">—</span>}</dd>
          </dl>
          <h2>Files</h2>
          {a.files.length === 0 ? (
            <Empty>No files.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Path</th>
                  <th>Size</th>
                  <th>sha256</th>
                </tr>
              </thead>
              <tbody>
                {a.files.map((f) => (
                  <tr key={f.path}>
                    <td>
                      <code>{f.path}</code>
                    </td>
                    <td className="num">{formatBytes(f.sizeBytes)}</td>
                    <td>
                      <code className="break small">{f.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="columns">
            <LineageList id={a.id} direction="ancestors" title="Ancestors (upstream)" />
            <LineageList id={a.id} direction="descendants" title="Descendants (downstream)" />
          </div>
        </>
      )}
    </section>
  );
}

function LineageList({ id, direction, title }: { id: string; direction: LineageDirection; title: string }) {
  const { data, error, loading } = useApi((s) => api.getLineage(id, direction, s), [id, direction]);
  const links = data ? lineageLinks(data) : [];
  return (
    <div>
      <h2>{title}</h2>
      {error && <ErrorBox error={error} title="Could not load lineage" />}
      {loading && !data && <Loading what="Loading lineage" />}
      {data && links.length === 0 && <Empty>None.</Empty>}
      {links.length > 0 && (
        <ul className="lineage">
          {links.map(({ node, href, roles }) => (
            <li key={node.id}>
              <span className="node-type">{node.type}</span>{' '}
              {href ? (
                <Link to={href} title={node.id}>
                  {node.label || shortId(node.id, 24)}
                </Link>
              ) : (
                <span title={node.id}>{node.label || node.id}</span>
              )}
              {roles.length > 0 && <span className="muted small"> ({roles.join(', ')})</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
