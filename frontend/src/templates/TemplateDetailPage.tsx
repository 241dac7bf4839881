import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, newIdempotencyKey } from '../api/client';
import type { ParamValue, TemplateDetail } from '../api/types';
import { ErrorBox, Loading } from '../common/states';
import { formatTime } from '../common/format';
import { useApi } from '../common/useApi';
import { RetentionPanel } from '../retention/RetentionPanel';
import { SpecViewer } from '../specview/SpecViewer';
import { LaunchForm } from './LaunchForm';

export function TemplateDetailPage() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const { data: t, error, loading } = useApi((s) => api.getTemplate(name, s), [name]);

  const launch = async (params: Record<string, ParamValue>) => {
    // A fresh key per submit: the same click retried by the network yields the same run, a new click a new one.
    const run = await api.launchRun(
      { template: name, version: t?.latestVersion, params },
      newIdempotencyKey(),
    );
    navigate(`/runs/${encodeURIComponent(run.id)}`);
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/templates">Templates</Link> / {name}
      </p>
      {error && <ErrorBox error={error} title="Could not load template" />}
      {loading && !t && <Loading what="Loading template" />}
      {t && (
        <>
          <h1>
            {t.name} <span className="muted">v{t.latestVersion}</span>
          </h1>
          {t.description && <p>{t.description}</p>}
          <p>
            <Link to={`/editor/${encodeURIComponent(t.name)}`}>Edit as a new version</Link> ·{' '}
            <Link to={`/runs?template=${encodeURIComponent(t.name)}`}>Runs of this template</Link>{' '}
            <span className="muted small">(tick 2–10 of them to compare)</span>
          </p>
          <div className="columns">
            <div>
              <h2>Launch</h2>
              <LaunchForm key={`${t.name}@${t.latestVersion}`} params={t.params} onSubmit={launch} />
            </div>
            <div>
              <h2>Versions</h2>
              <ul className="plain">
                {t.versions.map((v) => (
                  <li key={v.version}>
                    v{v.version} — {formatTime(v.createdAt)}
                    {v.createdBy && <> by {v.createdBy}</>}
                  </li>
                ))}
              </ul>
            </div>
          </div>
          <SpecSection name={t.name} latest={t} />
          <RetentionPanel template={t.name} />
        </>
      )}
    </section>
  );
}

/** The spec viewer for any version; the latest is already loaded, older ones are fetched on demand. */
function SpecSection({ name, latest }: { name: string; latest: TemplateDetail }) {
  const [version, setVersion] = useState(latest.version ?? latest.latestVersion);
  const isLatest = version === (latest.version ?? latest.latestVersion);
  const other = useApi(
    (s) => (isLatest ? Promise.resolve(undefined) : api.getTemplateVersion(name, version, s)),
    [name, version, isLatest],
  );
  const shown = isLatest ? latest : other.data;
  return (
    <>
      <h2>
        Spec{' '}
        <label className="muted small">
          version{' '}
          <select
            value={version}
            onChange={(e) => setVersion(Number(e.target.value))}
            aria-label="Spec version"
          >
            {[...latest.versions].reverse().map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {v.version === latest.latestVersion ? ' (latest)' : ''}
              </option>
            ))}
          </select>
        </label>
      </h2>
      {other.error && <ErrorBox error={other.error} title={`Could not load version ${version}`} />}
      {!shown && !other.error && <Loading what={`Loading version ${version}`} />}
      {shown && <SpecViewer key={version} spec={shown.spec} steps={shown.steps} />}
    </>
  );
}
