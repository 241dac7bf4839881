// The one place the dashboard talks HTTP. Components call these functions and never fetch() directly.
import type {
  Artifact,
  LaunchRequest,
  Lineage,
  LineageDirection,
  Problem,
  Run,
  RunFilter,
  RunPage,
  StepMetrics,
  TemplateDetail,
  TemplateList,
} from './types';

const BASE = '/api/v1';
export const TOKEN_KEY = 'trainyard.token';

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

// --- local-mode token ------------------------------------------------------------------------

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the server answers 401, so the app can ask for a token. Returns an unsubscribe. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

// --- transport -------------------------------------------------------------------------------

interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | null | undefined>;
  signal?: AbortSignal;
}

function url(path: string, query?: RequestOptions['query']): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return BASE + path + (s ? `?${s}` : '');
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, text/plain;q=0.9', ...opts.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  if (res.ok) return res;
  if (res.status === 401) unauthorizedListeners.forEach((l) => l());
  throw new ApiError(res.status, await readProblem(res));
}

async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return { status: res.status, ...(parsed as Problem) };
  } catch {
    // not JSON: fall through
  }
  return { status: res.status, title: res.statusText || `HTTP ${res.status}`, detail: text || undefined };
}

async function json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  return (await res.json()) as T;
}

const enc = encodeURIComponent;

// --- endpoints -------------------------------------------------------------------------------

export const api = {
  listTemplates: (signal?: AbortSignal) => json<TemplateList>('/templates', { signal }),

  getTemplate: (name: string, signal?: AbortSignal) => json<TemplateDetail>(`/templates/${enc(name)}`, { signal }),

  /** The key makes a retried submit (double click, flaky network) return the same run. */
  launchRun: (req: LaunchRequest, idempotencyKey: string) =>
    json<Run>('/runs', { method: 'POST', body: req, headers: { 'Idempotency-Key': idempotencyKey } }),

  listRuns: (filter: RunFilter = {}, signal?: AbortSignal) =>
    json<RunPage>('/runs', {
      signal,
      query: { status: filter.status, template: filter.template, limit: filter.limit, cursor: filter.cursor },
    }),

  getRun: (id: string, signal?: AbortSignal) => json<Run>(`/runs/${enc(id)}`, { signal }),

  cancelRun: (id: string) => json<Run>(`/runs/${enc(id)}/cancel`, { method: 'POST' }),

  retryRun: (id: string) => json<Run>(`/runs/${enc(id)}/retry`, { method: 'POST' }),

  approveStep: (runId: string, stepId: string) =>
    json<Run>(`/runs/${enc(runId)}/steps/${enc(stepId)}/approve`, { method: 'POST' }),

  getStepLog: async (runId: string, stepId: string, signal?: AbortSignal) => {
    const res = await send(`/runs/${enc(runId)}/steps/${enc(stepId)}/log`, { signal, headers: { Accept: 'text/plain' } });
    return res.text();
  },

  getStepMetrics: (runId: string, stepId: string, signal?: AbortSignal) =>
    json<StepMetrics>(`/runs/${enc(runId)}/steps/${enc(stepId)}/metrics`, { signal }),

  getArtifact: (id: string, signal?: AbortSignal) => json<Artifact>(`/artifacts/${enc(id)}`, { signal }),

  getLineage: (id: string, direction: LineageDirection, signal?: AbortSignal) =>
    json<Lineage>(`/artifacts/${enc(id)}/lineage`, { signal, query: { direction } }),
};

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
