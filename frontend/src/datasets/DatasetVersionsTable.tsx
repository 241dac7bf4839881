// The registry's dataset tab: every version of every dataset, grouped by name, newest version first, with
// the format and record count the server found when it checked the content.
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import type { DatasetVersion } from '../api/types';
import { formatBytes, formatTime, shortId } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

/** Versions grouped by name (names by their newest version), each group newest version first. */
export function groupVersions(versions: DatasetVersion[]): DatasetVersion[][] {
  const byName = new Map<string, DatasetVersion[]>();
  for (const v of versions)
    byName.set(`${v.team}/${v.name}`, [...(byName.get(`${v.team}/${v.name}`) ?? []), v]);
  return [...byName.values()]
    .map((g) => [...g].sort((a, b) => b.version - a.version))
    .sort((a, b) => b[0].createdAt.localeCompare(a[0].createdAt));
}

export function DatasetVersionsTable({ filter, reloadKey }: { filter: string; reloadKey: number }) {
  const versions = useApi((s) => api.listDatasets({ limit: 1000 }, s), [reloadKey]);
  const n = filter.toLowerCase();
  const rows = (versions.data?.items ?? []).filter(
    (v) => !n || v.name.includes(n) || v.id.startsWith(n) || v.aliases.some((a) => a.includes(n)),
  );
  if (versions.error) return <ErrorBox error={versions.error} title="Could not load the datasets" />;
  if (versions.loading && !versions.data) return <Loading what="Loading datasets" />;
  if (rows.length === 0)
    return (
      <Empty>
        {filter ? 'Nothing matches this filter.' : 'No datasets registered yet. Register one below.'}
      </Empty>
    );
  return (
    <table aria-label="Datasets">
      <thead>
        <tr>
          <th>Name</th>
          <th>Version</th>
          <th>Id</th>
          <th>Format</th>
          <th>Records</th>
          <th>Aliases</th>
          <th>Size</th>
          <th>Created</th>
          <th>Source</th>
        </tr>
      </thead>
      <tbody>
        {groupVersions(rows).flatMap((group) =>
          group.map((v, i) => (
            <tr key={v.id} className={i === 0 ? undefined : 'older-version'}>
              <td>{i === 0 ? v.name : ''}</td>
              <td>
                <Link to={`/artifacts/${encodeURIComponent(v.id)}`}>{v.ref}</Link>
                {i === 0 && <span className="muted small"> latest</span>}
              </td>
              <td>
                <code title={v.id}>{shortId(v.id)}</code>
              </td>
              <td>{v.format}</td>
              <td className="num">{v.records.toLocaleString('en')}</td>
              <td>
                {v.aliases.map((x) => (
                  <span key={x} className="alias">
                    {x}
                  </span>
                ))}
              </td>
              <td className="num">{formatBytes(v.sizeBytes)}</td>
              <td>{formatTime(v.createdAt)}</td>
              <td className="muted small">{v.source}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
