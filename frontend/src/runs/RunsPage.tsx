import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, isNotAvailable } from '../api/client';
import { RUN_STATUSES, type RunPage } from '../api/types';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { filtersFromUrl, hasFilters, toApiFilter, withFilter, type FilterKey } from './runFilters';
import { appendPage, mergeRefresh } from './runPages';
import { RunsTable } from './RunsTable';
import { compareHref, MAX_RUNS } from '../compare/compareState';

const PAGE_SIZE = 100;
const MAX_LIMIT = 500; // the API's largest page
const REFRESH_MS = 3000;
const TYPING_MS = 300; // text filters reach the URL (and the server) once typing pauses

export function RunsPage() {
  // Filters live in the URL so a filtered list is a shareable deep link; the server applies them all.
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const filters = filtersFromUrl(search);
  const { status, template } = filters;

  // The refresh re-reads the rows on screen (up to the API's page limit), so loaded pages stay live too.
  const filterKey = JSON.stringify(filters);
  const current = useRef<{ key: string; page: RunPage | undefined }>({ key: filterKey, page: undefined });
  const runs = useApi(
    async (s) => {
      const prev = current.current.key === filterKey ? current.current.page : undefined;
      const limit = Math.min(MAX_LIMIT, Math.max(PAGE_SIZE, prev?.items.length ?? 0));
      const fresh = await api.listRuns({ ...toApiFilter(filters), limit }, s);
      // "Load more" may have appended rows meanwhile: merge into what is current now.
      const latest = current.current.key === filterKey ? current.current.page : undefined;
      const merged = mergeRefresh(latest, fresh, limit);
      current.current = { key: filterKey, page: merged };
      return merged;
    },
    [filterKey],
    { pollMs: REFRESH_MS },
  );
  const templates = useApi((s) => api.listTemplates(s), []);
  const [more, setMore] = useState<{ loading: boolean; error?: Error }>({ loading: false });
  const loadingMore = useRef(false);
  const [notFound, setNotFound] = useState<string>();
  // Ticked runs, in the order ticked (the compare page colours them in that order).
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = useCallback(
    (id: string) =>
      setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length < MAX_RUNS ? [...p, id] : p)),
    [],
  );

  // Functional update: a debounced text filter must not undo a filter changed meanwhile.
  const setParam = useCallback(
    (key: FilterKey, value: string) => setSearch((prev) => withFilter(prev, key, value), { replace: true }),
    [setSearch],
  );

  const loadMore = useCallback(async () => {
    const page = current.current.page;
    if (!page?.nextCursor || loadingMore.current) return;
    loadingMore.current = true;
    setMore({ loading: true });
    try {
      const next = await api.listRuns({ ...toApiFilter(filters), limit: PAGE_SIZE, cursor: page.nextCursor });
      const merged = appendPage(page, next);
      current.current = { key: filterKey, page: merged };
      runs.mutate(merged);
      setMore({ loading: false });
    } catch (e) {
      setMore({ loading: false, error: e as Error });
    } finally {
      loadingMore.current = false;
    }
  }, [filterKey, runs.mutate]); // eslint-disable-line react-hooks/exhaustive-deps

  const openRun = async (e: FormEvent) => {
    e.preventDefault();
    const id = filters.q;
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
  const rows = runs.data?.items ?? [];

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
        <TextFilter label="Team" value={filters.team} onCommit={(v) => setParam('team', v)} />
        <TextFilter
          label="Launched by"
          value={filters.launchedBy}
          onCommit={(v) => setParam('launchedBy', v)}
        />
        <label>
          Created from{' '}
          <input
            type="date"
            value={filters.createdFrom}
            onChange={(e) => setParam('createdFrom', e.target.value)}
          />
        </label>
        <label>
          to{' '}
          <input
            type="date"
            value={filters.createdTo}
            onChange={(e) => setParam('createdTo', e.target.value)}
          />
        </label>
        <form onSubmit={openRun} className="search-form" role="search">
          <TextFilter
            label="Search"
            type="search"
            value={filters.q}
            placeholder="start of run id, template, user"
            onCommit={(v) => setParam('q', v)}
          />
          <button type="submit">Open run</button>
        </form>
        {hasFilters(filters) && (
          <button type="button" onClick={() => setSearch(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        )}
        <span className="muted small">
          {runs.data ? `${rows.length} shown${runs.data.nextCursor ? ', more on scroll' : ''}` : ''} ·
          refreshes every {REFRESH_MS / 1000} s
        </span>
      </div>
      {notFound && (
        <div className="banner banner-error" role="alert">
          No run with id “{notFound}”.
        </div>
      )}
      {runs.error && <ErrorBox error={runs.error} title="Could not load runs" />}
      {runs.loading && !runs.data && <Loading what="Loading runs" />}
      {runs.data && rows.length === 0 && (
        <Empty>
          {hasFilters(filters) ? 'No runs match these filters.' : 'No runs yet. Launch one from a template.'}
        </Empty>
      )}
      {runs.data && rows.length > 0 && (
        <div className="compare-bar">
          {picked.length >= 2 ? (
            <Link className="button-link" to={compareHref(picked)}>
              Compare {picked.length} runs
            </Link>
          ) : (
            <span className="muted small">Tick 2 to {MAX_RUNS} runs to compare them.</span>
          )}
          {picked.length > 0 && (
            <button type="button" onClick={() => setPicked([])}>
              Clear selection
            </button>
          )}
        </div>
      )}
      {runs.data && rows.length > 0 && (
        <RunsTable runs={rows} onEndReached={loadMore} selected={new Set(picked)} onToggle={toggle} />
      )}
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

interface TextFilterProps {
  label: string;
  value: string;
  onCommit: (value: string) => void;
  placeholder?: string;
  type?: 'text' | 'search';
}

/** A text box whose value goes to the URL once typing pauses, and follows the URL when it changes elsewhere. */
function TextFilter({ label, value, onCommit, placeholder, type = 'text' }: TextFilterProps) {
  const [draft, setDraft] = useState(value);
  useEffect(() => {
    setDraft((d) => (d.trim() === value ? d : value));
  }, [value]);
  useEffect(() => {
    if (draft.trim() === value) return;
    const timer = setTimeout(() => onCommit(draft), TYPING_MS);
    return () => clearTimeout(timer);
  }, [draft]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <label>
      {label}{' '}
      <input type={type} value={draft} placeholder={placeholder} onChange={(e) => setDraft(e.target.value)} />
    </label>
  );
}
