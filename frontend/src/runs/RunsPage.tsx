import { useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { RUN_STATUSES, type RunPage, type RunStatus } from '../api/types';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { RunsTable } from './RunsTable';

const PAGE_SIZE = 50;
const REFRESH_MS = 3000;

export function RunsPage() {
  // Filters live in the URL so a filtered list is a shareable deep link.
  const [search, setSearch] = useSearchParams();
  const status = (search.get('status') ?? '') as RunStatus | '';
  const template = search.get('template') ?? '';

  // The refresh re-reads as many rows as are on screen, so "Load more" pages stay live too.
  const shown = useRef(PAGE_SIZE);
  const runs = useApi(
    (s) => api.listRuns({ status, template, limit: Math.max(PAGE_SIZE, shown.current) }, s),
    [status, template],
    { pollMs: REFRESH_MS },
  );
  const templates = useApi((s) => api.listTemplates(s), []);
  const [more, setMore] = useState<{ loading: boolean; error?: Error }>({ loading: false });

  const setFilter = (key: 'status' | 'template', value: string) => {
    shown.current = PAGE_SIZE;
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };

  const loadMore = async (page: RunPage) => {
    if (!page.nextCursor) return;
    setMore({ loading: true });
    try {
      const next = await api.listRuns({ status, template, limit: PAGE_SIZE, cursor: page.nextCursor });
      const seen = new Set(page.items.map((r) => r.id));
      const items = [...page.items, ...next.items.filter((r) => !seen.has(r.id))];
      shown.current = items.length;
      runs.setData({ items, nextCursor: next.nextCursor });
      setMore({ loading: false });
    } catch (e) {
      setMore({ loading: false, error: e as Error });
    }
  };

  const templateNames = new Set((templates.data?.items ?? []).map((t) => t.name));
  if (template) templateNames.add(template);

  return (
    <section>
      <h1>Runs</h1>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Template{' '}
          <select value={template} onChange={(e) => setFilter('template', e.target.value)}>
            <option value="">all</option>
            {[...templateNames].sort().map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">refreshes every {REFRESH_MS / 1000} s</span>
      </div>
      {runs.error && <ErrorBox error={runs.error} title="Could not load runs" />}
      {runs.loading && !runs.data && <Loading what="Loading runs" />}
      {runs.data && runs.data.items.length === 0 && (
        <Empty>{status || template ? 'No runs match these filters.' : 'No runs yet. Launch one from a template.'}</Empty>
      )}
      {runs.data && runs.data.items.length > 0 && (
        <>
          <RunsTable runs={runs.data.items} />
          {more.error && <ErrorBox error={more.error} title="Could not load more runs" />}
          {runs.data.nextCursor && (
            <p>
              <button onClick={() => loadMore(runs.data!)} disabled={more.loading}>
                {more.loading ? 'Loading…' : 'Load more'}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
