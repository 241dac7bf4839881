import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { Empty, ErrorBox, Loading } from '../common/states';
import { formatTime } from '../common/format';
import { useApi } from '../common/useApi';

export function TemplatesPage() {
  const { data, error, loading } = useApi((s) => api.listTemplates(s), []);
  return (
    <section>
      <h1>Pipeline templates</h1>
      <p>
        <Link to="/editor">New template</Link>
      </p>
      {error && <ErrorBox error={error} title="Could not load templates" />}
      {loading && !data && <Loading what="Loading templates" />}
      {data && data.items.length === 0 && <Empty>No templates registered yet.</Empty>}
      {data && data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Description</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr key={t.name}>
                <td>
                  <Link to={`/templates/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                </td>
                <td>v{t.latestVersion}</td>
                <td>{t.description ?? <span className="muted">—</span>}</td>
                <td>{formatTime(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
