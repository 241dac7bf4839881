import { useCallback, useRef, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import { RUN_STATUSES, type RunPage, type RunStatus } from '../api/types';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { appendPage, matchRun, mergeRefresh } from './runPages';
import { RunsTable } from './RunsTable';

const PAGE_SIZE = 100;
const MAX_LIMIT = 500; // the API's largest page
const REFRESH_MS = 3000;

export function RunsPage() {
  // Filters live in the URL so a filtered list is a shareable deep link.
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const status = (search.get('status') ?? '') as RunStatus | '';
  const template = search.get('template') ?? '';
  const q = search.get('q') ?? '';

  // The refresh re-reads the rows on screen (up to the API's page limit), so loaded pages stay live too.
  const filterKey = `${status}|${template}`;
  const current = useRef<{ key: string; page: RunPage | undefined }>({ key: filterKey, page: undefined });
  const runs = useApi(
    async (s) => {
      const prev = current.current.key === filterKey ? current.current.page : undefined;
      const limit = Math.min(MAX_LIMIT, Math.max(PAGE_SIZE, prev?.items.length ?? 0));
      const fresh = await api.listRuns({ status, template, limit }, s);
      // "Load more" may have appended rows meanwhile: merge into what is current now.
      const latest = current.current.key === filterKey ? current.current.page : undefined;
      const merged = mergeRefresh(latest, fresh, limit);
      current.current = { key: filterKey, page: merged };
      return merged;
    },
    [status, template],
    { pollMs: REFRESH_MS },
  );
  const templates = useApi((s) => api.listTemplates(s), []);
  const [more, setMore] = useState<{ loading: boolean; error?: Error }>({ loading: false });
  const loadingMore = useRef(false);
  const [query, setQuery] = useState(q);
  const [notFound, setNotFound] = useState<string>();

  const setParam = (key: 'status' | 'template' | 'q', value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };

  const loadMore = useCallback(async () => {
    const page = current.current.page;
    if (!page?.nextCursor || loadingMore.current) return;
    loadingMore.current = true;
    setMore({ loading: true });
    try {
      const next = await api.listRuns({ status, template, limit: PAGE_SIZE, cursor: page.nextCursor });
      const merged = appendPage(page, next);
      current.current = { key: filterKey, page: merged };
      runs.mutate(merged);
      setMore({ loading: false });
    } catch (e) {
      setMore({ loading: false, error: e as Error });
    } finally {
      loadingMore.current = false;
    }
  }, [status, template, filterKey, runs.mutate]); // eslint-disable-line react-hooks/exhaustive-deps

  const openRun = async (e: FormEvent) => {
    e.preventDefault();
    const id = query.trim();
    setNotFound(undefined);
    if (!id) return;
    try {
      const run = await api.getRun(id);
      navigate(`/runs/${encodeURIComponent(run.id)}`);
    } catch (err) {
      if (isNotAvailable(err)) setNotFound(id);
      else setMore({ loading: false, error: err as Error });
    }
  };

  const templateNames = new Set((templates.data?.items ?? []).map((t) => t.name));
  if (template) templateNames.add(template);
  const rows = (runs.data?.items ?? []).filter((r) => matchRun(r, q));

  return (
    <section>
      <h1>Runs</h1>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setParam('status', e.target.value)}>
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
          <select value={template} onChange={(e) => setParam('template', e.target.value)}>
            <option value="">all</option>
            {[...templateNames].sort().map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <form onSubmit={openRun} className="search-form" role="search">
          <label>
            Search{' '}
            <input
              type="search"
              value={query}
              placeholder="run id, template, user"
              onChange={(e) => {
                setQuery(e.target.value);
                setParam('q', e.target.value);
              }}
            />
          </label>
          <button type="submit">Open run</button>
        </form>
        <span className="muted small">
          {runs.data ? `${rows.length} shown${runs.data.nextCursor ? ', more on scroll' : ''}` : ''} · refreshes every{' '}
          {REFRESH_MS / 1000} s
        </span>
      </div>
      {notFound && <div className="banner banner-error" role="alert">No run with id “{notFound}”.</div>}
      {runs.error && <ErrorBox error={runs.error} title="Could not load runs" />}
      {runs.loading && !runs.data && <Loading what="Loading runs" />}
      {runs.data && rows.length === 0 && (
        <Empty>
          {status || template || q ? 'No runs match these filters among those loaded.' : 'No runs yet. Launch one from a template.'}
        </Empty>
      )}
      {runs.data && rows.length > 0 && <RunsTable runs={rows} onEndReached={q ? undefined : loadMore} />}
      {more.error && <ErrorBox error={more.error} title="Could not load more runs" />}
      {runs.data?.nextCursor && (
        <p>
          <button onClick={loadMore} disabled={more.loading}>
            {more.loading ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}
