import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, newIdempotencyKey } from '../api/client';
import type { ParamValue } from '../api/types';
import { Empty, ErrorBox, Loading } from '../common/states';
import { formatTime } from '../common/format';
import { useApi } from '../common/useApi';
import { LaunchForm } from './LaunchForm';

export function TemplateDetailPage() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const { data: t, error, loading } = useApi((s) => api.getTemplate(name, s), [name]);

  const launch = async (params: Record<string, ParamValue>) => {
    // A fresh key per submit: the same click retried by the network yields the same run, a new click a new one.
    const run = await api.launchRun({ template: name, version: t?.latestVersion, params }, newIdempotencyKey());
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
          <div className="columns">
            <div>
              <h2>Launch</h2>
              <LaunchForm key={`${t.name}@${t.latestVersion}`} params={t.params} onSubmit={launch} />
              <h2>Steps</h2>
              {t.steps.length === 0 ? (
                <Empty>No steps.</Empty>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Step</th>
                      <th>Kind</th>
                      <th>Needs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {t.steps.map((s) => (
                      <tr key={s.id}>
                        <td>
                          <code>{s.id}</code>
                        </td>
                        <td>{s.kind}</td>
                        <td>{s.needs.length ? s.needs.join(', ') : <span className="muted">—</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
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
            <div>
              <h2>Spec (v{t.latestVersion})</h2>
              <pre className="spec">{t.spec}</pre>
            </div>
          </div>
        </>
      )}
    </section>
  );
}
