import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, isNotAvailable } from '../api/client';
import type { LineageDirection } from '../api/types';
import { formatBytes, formatCount, formatShare, formatTime, shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { LineageGraph } from '../lineage/LineageGraph';
import { AliasHistory } from '../aliases/AliasHistory';
import { EvalTable } from '../evals/EvalTable';
import { FileBrowser } from './FileBrowser';
import { lineageLinks } from './lineageNodes';
import { RoutingProfileView } from '../routing/RoutingProfileView';
import { PROFILE_FILE } from '../routing/profile';

export function ArtifactPage() {
  const { id = '' } = useParams();
  const { data: a, error, loading } = useApi((s) => api.getArtifact(id, s), [id]);

  return (
    <section>
      <p className="crumbs">
        <Link to="/checkpoints">Registry</Link> / {a?.name ?? shortId(id, 16)}
      </p>
      {error && <ErrorBox error={error} title="Could not load artifact" />}
      {loading && !a && <Loading what="Loading artifact" />}
      {a && (
        <>
          <h1>
            {a.name ?? a.type} <span className="muted small">{a.type}</span>
          </h1>
          {a.failed && (
            <p className="tombstone" role="status">
              Kept from a failed attempt: this evaluation report's gate missed its bound. Its scores are below
              and in the checkpoint's evaluations; nothing downstream used it.
            </p>
          )}
          {a.deleted && (
            <p className="tombstone" role="status">
              Files deleted by retention on {formatTime(a.deleted.at)} by {a.deleted.by}: {a.deleted.reason}.
              The hashes and lineage below stay as a record of what existed.
            </p>
          )}
          <dl className="facts">
            <dt>Version</dt>
            <dd>
              <code className="break">{a.id}</code>
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(a.sizeBytes)}</dd>
            {a.parameters != null && (
              <>
                <dt>Parameters</dt>
                <dd title={a.parameters.toLocaleString()}>{formatCount(a.parameters)}</dd>
              </>
            )}
            {a.sparsity != null && (
              <>
                <dt>Sparsity</dt>
                <dd>{formatShare(a.sparsity)}</dd>
              </>
            )}
            {a.model && (
              <>
                <dt>Model</dt>
                <dd>
                  {a.model.family} · {a.model.dtype} · tokenizer {a.model.tokenizer}
                  {a.model.chatTemplate ? ' · chat template' : ' · no chat template'}
                  {a.model.description && <div className="muted">{a.model.description}</div>}
                </dd>
              </>
            )}
            <dt>Created</dt>
            <dd>
              {formatTime(a.createdAt)}
              {a.createdBy && <> by {a.createdBy}</>}
            </dd>
            <dt>Produced by</dt>
            <dd>
              {a.producedBy ? (
                <>
                  run <Link to={`/runs/${encodeURIComponent(a.producedBy.runId)}`}>{a.producedBy.runId}</Link>
                  , step{' '}
                  <Link
                    to={`/runs/${encodeURIComponent(a.producedBy.runId)}?step=${encodeURIComponent(a.producedBy.stepId)}`}
                  >
                    <code>{a.producedBy.stepId}</code>
                  </Link>
                  {a.producedBy.attempt ? <>, attempt {a.producedBy.attempt}</> : null}
                  {a.producedBy.output && (
                    <>
                      , output <code>{a.producedBy.output}</code>
                    </>
                  )}
                </>
              ) : a.model ? (
                <span>{a.model.origin}</span>
              ) : (
                <span className="muted">registered, not produced by a run</span>
              )}
            </dd>
            {a.uri && (
              <>
                <dt>URI</dt>
                <dd>
                  <code className="break">{a.uri}</code>
                </dd>
              </>
            )}
            <dt>Aliases</dt>
            <dd>
              {a.aliases.length ? (
                a.aliases.map((x) => (
                  <span key={x} className="alias">
                    {x}
                  </span>
                ))
              ) : (
                <span className="muted">—</span>
              )}
            </dd>
          </dl>
          {a.type === 'routing-profile' && !a.deleted && a.files.some((f) => f.path === PROFILE_FILE) && (
            <RoutingProfileView artifact={a} />
          )}
          <p>
            <Link to={`/lineage?root=${encodeURIComponent(a.id)}`}>Open in lineage explorer</Link>
            {' · '}
            <Link to={`/lineage?root=${encodeURIComponent(a.id)}&view=impact`}>Impact analysis</Link>
          </p>
          <h2>Lineage</h2>
          <LineageGraph root={a.id} />
          <div className="columns">
            <LineageList id={a.id} direction="ancestors" title="Ancestors (upstream)" />
            <LineageList id={a.id} direction="descendants" title="Descendants (downstream)" />
          </div>
          <h2>Files</h2>
          <FileBrowser id={a.id} files={a.files} deleted={a.deleted != null} />
          <Manifest id={a.id} />
          {a.aliases.length > 0 && (
            <>
              <h2>Alias history</h2>
              {a.aliases.map((x) => (
                <AliasHistory key={x} alias={x} current={a.id} />
              ))}
            </>
          )}
          <ArtifactEvals id={a.id} />
          {(a.type === 'checkpoint' || a.type === 'adapter') && <ModelCard artifactId={a.id} />}
        </>
      )}
    </section>
  );
}

function Manifest({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const m = useApi((s) => (open ? api.getManifest(id, s) : Promise.resolve(undefined)), [id, open]);
  return (
    <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Manifest (its sha256 is the version id)</summary>
      {m.error && <ErrorBox error={m.error} />}
      {m.data !== undefined && <pre className="spec small">{m.data}</pre>}
    </details>
  );
}

function ArtifactEvals({ id }: { id: string }) {
  const evals = useApi((s) => api.getEvals(id, s), [id]);
  return (
    <>
      <h2>Eval results</h2>
      {evals.loading && !evals.data && <Loading what="Loading eval results" />}
      {evals.error && isNotAvailable(evals.error) && <Empty>Eval results are not available yet.</Empty>}
      {evals.error && !isNotAvailable(evals.error) && (
        <ErrorBox error={evals.error} title="Could not load eval results" />
      )}
      {evals.data && evals.data.items.length === 0 && <Empty>No evals recorded for this version.</Empty>}
      {evals.data && evals.data.items.length > 0 && (
        <EvalTable columns={[{ id, label: 'value', results: evals.data.items }]} />
      )}
    </>
  );
}

/** The server's model card (docs/models.md): made on promotion, or here on demand. */
function ModelCard({ artifactId }: { artifactId: string }) {
  const [making, setMaking] = useState(false);
  const [makeError, setMakeError] = useState<Error | null>(null);
  const card = useApi(
    (s) =>
      api.getModelCard(artifactId, s).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [artifactId],
  );
  const make = async () => {
    setMaking(true);
    setMakeError(null);
    try {
      card.setData(await api.makeModelCard(artifactId));
    } catch (e) {
      setMakeError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setMaking(false);
    }
  };
  const download = () => {
    if (!card.data) return;
    const url = URL.createObjectURL(new Blob([card.data.text], { type: 'text/markdown' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `README-${artifactId.slice(0, 12)}.md`;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <h2>
        Model card{' '}
        <button className="small" onClick={download} disabled={!card.data}>
          Download README.md
        </button>{' '}
        <button className="small" onClick={make} disabled={making}>
          {card.data ? 'Update from lineage' : 'Make card'}
        </button>
      </h2>
      {card.error && <ErrorBox error={card.error} title="Could not load the model card" />}
      {makeError && <ErrorBox error={makeError} title="Could not make the model card" />}
      {card.loading && card.data === undefined && <Loading what="Loading model card" />}
      {card.data === null && <Empty>No model card yet: one is made when an alias moves here.</Empty>}
      {card.data && (
        <pre className="model-card" data-testid="model-card">
          {card.data.text}
        </pre>
      )}
    </>
  );
}

function LineageList({ id, direction, title }: { id: string; direction: LineageDirection; title: string }) {
  const { data, error, loading } = useApi((s) => api.getLineage(id, direction, s), [id, direction]);
  const links = data ? lineageLinks(data) : [];
  return (
    <div>
      <h3>{title}</h3>
      {error && <ErrorBox error={error} title="Could not load lineage" />}
      {loading && !data && <Loading what="Loading lineage" />}
      {data && links.length === 0 && <Empty>None.</Empty>}
      {links.length > 0 && (
        <ul className="lineage" aria-label={title}>
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
