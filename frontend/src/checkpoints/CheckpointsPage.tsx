import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError, api } from '../api/client';
import type { ArtifactSummary } from '../api/types';
import { formatBytes, formatCount, formatShare, formatTime, shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { DatasetVersionsTable } from '../datasets/DatasetVersionsTable';
import { CheckpointLabel } from './CheckpointLabel';
import { checkpointName, formatBestEval, sortByBestEval } from './naming';

const TYPES = [
  { value: 'checkpoint', label: 'Checkpoints' },
  { value: 'dataset', label: 'Datasets' },
  { value: 'routing-profile', label: 'Routing profiles' },
  { value: 'all', label: 'All artifacts' },
];

/** The registry: checkpoints, datasets and other artifacts with their aliases and producers. */
export function CheckpointsPage() {
  const [search, setSearch] = useSearchParams();
  const type = search.get('type') ?? 'checkpoint';
  const artifacts = useApi((s) => api.listArtifacts(type === 'all' ? undefined : type, 500, s), [type]);
  const aliases = useApi((s) => api.listAliases(s), []);
  const [filter, setFilter] = useState('');
  const [registered, setRegistered] = useState(0);
  const aliasesOf = new Map<string, string[]>();
  for (const a of aliases.data?.items ?? [])
    aliasesOf.set(a.artifactId, [...(aliasesOf.get(a.artifactId) ?? []), a.name]);

  const [byEval, setByEval] = useState(false);
  const filtered = (artifacts.data?.items ?? []).filter((a) => matches(a, aliasesOf.get(a.id) ?? [], filter));
  const rows = byEval ? sortByBestEval(filtered) : filtered;
  const label = TYPES.find((t) => t.value === type)?.label ?? type;

  return (
    <section>
      <h1>Registry</h1>
      <div className="filters">
        <div role="tablist" aria-label="Artifact type" className="tabs">
          {TYPES.map((t) => (
            <button
              key={t.value}
              role="tab"
              aria-selected={t.value === type}
              className={t.value === type ? 'tab active' : 'tab'}
              onClick={() => setSearch(t.value === 'checkpoint' ? {} : { type: t.value }, { replace: true })}
            >
              {t.label}
            </button>
          ))}
        </div>
        <label>
          Filter{' '}
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="name, alias or hash"
          />
        </label>
      </div>
      {type === 'dataset' && <DatasetVersionsTable filter={filter} reloadKey={registered} />}
      {type !== 'dataset' && artifacts.error && (
        <ErrorBox error={artifacts.error} title="Could not load the registry" />
      )}
      {type !== 'dataset' && artifacts.loading && !artifacts.data && (
        <Loading what={`Loading ${label.toLowerCase()}`} />
      )}
      {type !== 'dataset' && artifacts.data && rows.length === 0 && (
        <Empty>
          {filter
            ? 'Nothing matches this filter.'
            : type === 'checkpoint'
              ? 'No checkpoints yet. Training and merge steps register them as they finish.'
              : type === 'dataset'
                ? 'No datasets registered yet. Register one below.'
                : 'No artifacts yet.'}
        </Empty>
      )}
      {type !== 'dataset' && rows.length > 0 && (
        <table aria-label={label}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Version</th>
              <th>Aliases</th>
              <th>Size</th>
              <th title="tensor elements, where the producing step measured them">Parameters</th>
              <th title="share of zero weights, where the producing step measured it">Sparsity</th>
              <th aria-sort={byEval ? 'descending' : undefined}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setByEval((b) => !b)}
                  title="sort by the headline score of each checkpoint's newest evaluation"
                >
                  Best eval {byEval ? '▼' : '↕'}
                </button>
              </th>
              <th>Created</th>
              <th>Created by</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.id}>
                <td>
                  <CheckpointLabel a={a}>
                    <Link to={`/artifacts/${encodeURIComponent(a.id)}`}>{checkpointName(a)}</Link>
                  </CheckpointLabel>
                </td>
                <td>{a.type}</td>
                <td>
                  <code title={a.id}>{shortId(a.id)}</code>
                </td>
                <td>
                  {(aliasesOf.get(a.id) ?? []).map((x) => (
                    <span key={x} className="alias">
                      {x}
                    </span>
                  ))}
                </td>
                <td className="num">{formatBytes(a.sizeBytes)}</td>
                <td className="num" title={a.parameters != null ? a.parameters.toLocaleString() : undefined}>
                  {formatCount(a.parameters)}
                </td>
                <td className="num">{formatShare(a.sparsity)}</td>
                <td className="num" data-testid="best-eval">
                  {formatBestEval(a.bestEval)}
                </td>
                <td>{formatTime(a.createdAt)}</td>
                <td>
                  {a.producedBy ? (
                    <Link
                      to={`/runs/${encodeURIComponent(a.producedBy.runId)}?step=${encodeURIComponent(a.producedBy.stepId)}`}
                    >
                      {a.producedBy.runId} / {a.producedBy.stepId}
                    </Link>
                  ) : (
                    <span className="muted">registered</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(type === 'dataset' || type === 'all') && (
        <RegisterDataset
          onDone={() => {
            artifacts.reload();
            setRegistered((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}

function matches(a: ArtifactSummary, aliases: string[], q: string): boolean {
  if (!q) return true;
  const n = q.toLowerCase();
  return (
    a.id.includes(n) ||
    (a.name ?? '').toLowerCase().includes(n) ||
    checkpointName(a).toLowerCase().includes(n) ||
    aliases.some((x) => x.includes(n))
  );
}

/** POST /datasets; the server's field errors are shown at their fields. */
function RegisterDataset({ onDone }: { onDone: () => void }) {
  const [values, setValues] = useState({ name: '', uri: '', sha256: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string; id?: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(undefined);
    const local: Record<string, string> = {};
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(values.name))
      local.name = "lowercase letters, digits, '.', '_' and '-'";
    if (!values.uri.trim()) local.uri = 'required';
    if (values.sha256 && !/^[0-9a-f]{64}$/.test(values.sha256))
      local.sha256 = '64 lowercase hex characters, or empty';
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      // The server hashes the file itself; a sha256 given here is only checked against it.
      const a = await api.registerDataset({
        name: values.name,
        uri: values.uri,
        ...(values.sha256 ? { sha256: values.sha256 } : {}),
      });
      setMessage({ ok: true, text: `Registered ${a.ref} (${a.format}, ${a.records} records).`, id: a.id });
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors?.length) {
        const fields: Record<string, string> = {};
        for (const fe of err.problem.errors)
          fields[fe.path] = fields[fe.path] ? `${fields[fe.path]}; ${fe.message}` : fe.message;
        setErrors(fields);
        const other = err.problem.errors.filter((fe) => !(fe.path in values));
        if (other.length)
          setMessage({ ok: false, text: other.map((o) => `${o.path}: ${o.message}`).join('; ') });
      } else setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const field = (name: keyof typeof values, label: string, hint: string) => (
    <div className={`field${errors[name] ? ' field-invalid' : ''}`}>
      <label htmlFor={`ds-${name}`}>{label}</label>
      <input
        id={`ds-${name}`}
        type="text"
        value={values[name]}
        aria-invalid={errors[name] ? true : undefined}
        onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
        placeholder={hint}
      />
      {errors[name] && (
        <small className="field-error" role="alert">
          {errors[name]}
        </small>
      )}
    </div>
  );
  return (
    <details className="register">
      <summary>Register a dataset</summary>
      <form onSubmit={submit} className="launch-form" noValidate aria-label="Register a dataset">
        {field('name', 'Name', 'wiki-small')}
        {field('uri', 'URI', 'file:///data/wiki.jsonl (a file or directory under the data roots)')}
        {field('sha256', 'sha256 (optional)', 'checked against the hash the server computes')}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Registering…' : 'Register'}
        </button>
        {message && (
          <div
            className={`banner ${message.ok ? 'banner-ok' : 'banner-error'}`}
            role={message.ok ? 'status' : 'alert'}
          >
            {message.text}{' '}
            {message.id && <Link to={`/artifacts/${encodeURIComponent(message.id)}`}>open</Link>}
          </div>
        )}
      </form>
    </details>
  );
}
