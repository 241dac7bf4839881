// The one place the dashboard talks HTTP. Components call these functions and never fetch() directly.
import type {
  HistoryPage,
  AliasHistory,
  AliasList,
  Artifact,
  ArtifactList,
  DatasetRegistration,
  DatasetVersion,
  DatasetVersionList,
  EvalResults,
  ModelCard,
  WorkerList,
  LaunchRequest,
  Lineage,
  LineageDirection,
  Problem,
  RetentionPolicy,
  RetentionReport,
  Run,
  RunFilter,
  RunPage,
  StepMetrics,
  TemplateDetail,
  TemplateList,
} from './types';
import type { SpecValidation, StepKindCatalogue } from './catalogTypes';

const BASE = '/api/v1';

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

// --- local-mode session ----------------------------------------------------------------------
// The printed token is traded once for an HttpOnly session cookie (POST /auth/session): no script in
// the page, ours or an injected one, can read the session. Earlier versions kept the token in
// localStorage; forget it if it is still there.
try {
  localStorage.removeItem('trainyard.token');
} catch {
  // storage unavailable: nothing to forget
}

// Whether this browser held a session before: not a secret (the cookie itself stays unreadable), only
// what lets the sign-in page say why it is back — a restart with a new token, not a first visit.
const SIGNED_IN = 'trainyard.signedIn';

/** True when this browser signed in before, so a 401 now means the session went stale. */
export function hadSession(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN) === '1';
  } catch {
    return false;
  }
}

/** Signs this browser in with the local-mode token; rejects with ApiError when the server refuses it. */
export async function signIn(token: string): Promise<void> {
  const res = await fetch('/auth/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Trainyard-CSRF': '1' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  });
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  try {
    localStorage.setItem(SIGNED_IN, '1');
  } catch {
    // storage unavailable: the sign-in page just cannot say why it is back
  }
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
  // Both modes sign browsers in with a session cookie; the server requires this header on changes
  // made with it (a cross-site page cannot add it), so CSRF cannot ride on the cookie.
  headers['X-Trainyard-CSRF'] = '1';
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
    credentials: 'same-origin',
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

  getTemplate: (name: string, signal?: AbortSignal) =>
    json<TemplateDetail>(`/templates/${enc(name)}`, { signal }),

  /** The key makes a retried submit (double click, flaky network) return the same run. */
  launchRun: (req: LaunchRequest, idempotencyKey: string) =>
    json<Run>('/runs', { method: 'POST', body: req, headers: { 'Idempotency-Key': idempotencyKey } }),

  listRuns: (filter: RunFilter = {}, signal?: AbortSignal) =>
    json<RunPage>('/runs', {
      signal,
      query: {
        status: filter.status,
        template: filter.template,
        team: filter.team,
        launchedBy: filter.launchedBy,
        createdFrom: filter.createdFrom,
        createdTo: filter.createdTo,
        q: filter.q,
        limit: filter.limit,
        cursor: filter.cursor,
      },
    }),

  getRun: (id: string, signal?: AbortSignal) => json<Run>(`/runs/${enc(id)}`, { signal }),

  cancelRun: (id: string) => json<Run>(`/runs/${enc(id)}/cancel`, { method: 'POST' }),

  retryRun: (id: string) => json<Run>(`/runs/${enc(id)}/retry`, { method: 'POST' }),

  approveStep: (runId: string, stepId: string) =>
    json<Run>(`/runs/${enc(runId)}/steps/${enc(stepId)}/approve`, { method: 'POST' }),

  getStepLog: async (runId: string, stepId: string, signal?: AbortSignal, attempt?: number) => {
    const res = await send(`/runs/${enc(runId)}/steps/${enc(stepId)}/log`, {
      signal,
      headers: { Accept: 'text/plain' },
      query: { attempt },
    });
    return res.text();
  },

  getStepMetrics: (runId: string, stepId: string, signal?: AbortSignal, attempt?: number) =>
    json<StepMetrics>(`/runs/${enc(runId)}/steps/${enc(stepId)}/metrics`, { signal, query: { attempt } }),

  getArtifact: (id: string, signal?: AbortSignal) => json<Artifact>(`/artifacts/${enc(id)}`, { signal }),

  getLineage: (id: string, direction: LineageDirection, signal?: AbortSignal) =>
    json<Lineage>(`/artifacts/${enc(id)}/lineage`, { signal, query: { direction } }),

  listArtifacts: (type: string | undefined, limit = 200, signal?: AbortSignal) =>
    json<ArtifactList>('/artifacts', { signal, query: { type, limit } }),

  /** `q`: a prefix of the name (any case), the content id or an alias; what the launch form's pickers search by. */
  searchArtifacts: (search: { type?: string; q?: string; limit?: number }, signal?: AbortSignal) =>
    json<ArtifactList>('/artifacts', {
      signal,
      query: { type: search.type, q: search.q, limit: search.limit },
    }),

  getManifest: async (id: string, signal?: AbortSignal) => {
    const res = await send(`/artifacts/${enc(id)}/manifest`, { signal, headers: { Accept: 'text/plain' } });
    return res.text();
  },

  /**
   * Where the browser downloads one stored file (plain links: the session cookie authorizes them, and
   * the server answers with an attachment). Each path segment is encoded, the slashes kept.
   */
  artifactFileUrl: (id: string, path: string) =>
    url(`/artifacts/${enc(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`),

  /** One stored file's text, e.g. a routing profile's profile.json that the page draws. */
  getArtifactFileText: async (id: string, path: string, signal?: AbortSignal) => {
    const res = await send(
      `/artifacts/${enc(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`,
      {
        signal,
        headers: { Accept: 'application/octet-stream' },
      },
    );
    return res.text();
  },

  /** Where the browser downloads the whole artifact as one tar, streamed by the server. */
  artifactArchiveUrl: (id: string) => url(`/artifacts/${enc(id)}/archive`),

  registerDataset: (body: DatasetRegistration) => json<DatasetVersion>('/datasets', { method: 'POST', body }),

  /** Dataset versions, newest first; `q`: a prefix of the name or of the version's content id. */
  listDatasets: (search: { q?: string; limit?: number }, signal?: AbortSignal) =>
    json<DatasetVersionList>('/datasets', { signal, query: { q: search.q, limit: search.limit } }),

  /** Every version of one dataset name, newest first. */
  getDatasetVersions: (name: string, signal?: AbortSignal) =>
    json<DatasetVersionList>(`/datasets/${enc(name)}`, { signal }),

  listAliases: (signal?: AbortSignal) => json<AliasList>('/aliases', { signal }),

  getAliasHistory: (name: string, signal?: AbortSignal) =>
    json<AliasHistory>(`/aliases/${enc(name)}/history`, { signal }),

  getTemplateVersion: (name: string, version: number, signal?: AbortSignal) =>
    json<TemplateDetail>(`/templates/${enc(name)}/versions/${version}`, { signal }),

  /** Checks a spec as saving it would, and creates nothing. */
  validateSpec: (spec: string, signal?: AbortSignal) =>
    json<SpecValidation>('/templates/validate', { method: 'POST', body: { spec }, signal }),

  createTemplate: (spec: string) => json<TemplateDetail>('/templates', { method: 'POST', body: { spec } }),

  newTemplateVersion: (name: string, spec: string) =>
    json<TemplateDetail>(`/templates/${enc(name)}/versions`, { method: 'POST', body: { spec } }),

  listStepKinds: (signal?: AbortSignal) => json<StepKindCatalogue>('/step-kinds', { signal }),

  // --- proposed endpoints: callers treat a 404 as "not available yet" ---

  /** The template's retention policy, or null where none is set (204). */
  getRetention: async (template: string, signal?: AbortSignal): Promise<RetentionPolicy | null> => {
    const res = await send(`/templates/${enc(template)}/retention`, { signal });
    return res.status === 204 ? null : ((await res.json()) as RetentionPolicy);
  },

  setRetention: (template: string, policy: { keepLastIntermediate: number; keepLastFinals: number | null }) =>
    json<RetentionPolicy>(`/templates/${enc(template)}/retention`, { method: 'PUT', body: policy }),

  planRetention: (template: string, signal?: AbortSignal) =>
    json<RetentionReport>(`/templates/${enc(template)}/retention/plan`, { signal }),

  applyRetention: (template: string) =>
    json<RetentionReport>(`/templates/${enc(template)}/retention/apply`, { method: 'POST', body: {} }),

  listWorkers: (signal?: AbortSignal) => json<WorkerList>('/workers', { signal }),

  /** A page of the run's Temporal event history, oldest first, after event id `after`. */
  getRunHistory: (id: string, after: number, limit: number, signal?: AbortSignal) =>
    json<HistoryPage>(`/runs/${enc(id)}/history?after=${after}&limit=${limit}`, { signal }),

  getEvals: (artifactId: string, signal?: AbortSignal) =>
    json<EvalResults>(`/artifacts/${enc(artifactId)}/evals`, { signal }),

  /** The newest stored model card of a checkpoint or adapter; 404 until one is made. */
  getModelCard: (artifactId: string, signal?: AbortSignal) =>
    json<ModelCard>(`/artifacts/${enc(artifactId)}/model-card`, { signal }),

  /** Makes (and stores) the card from the checkpoint's lineage as it is now. */
  makeModelCard: (artifactId: string) =>
    json<ModelCard>(`/artifacts/${enc(artifactId)}/model-card`, { method: 'POST' }),

  /**
   * Follows the run's server-sent events until the stream ends or `signal` aborts. Uses fetch rather
   * than EventSource so the bearer token travels in a header. Rejects with ApiError when the endpoint
   * is missing (404), so callers can fall back to polling.
   */
  streamRunEvents: async (id: string, onRun: (run: Run) => void, signal: AbortSignal): Promise<void> => {
    const res = await send(`/runs/${enc(id)}/events`, { signal, headers: { Accept: 'text/event-stream' } });
    if (!res.body || !(res.headers.get('Content-Type') ?? '').includes('text/event-stream')) {
      throw new ApiError(415, { title: 'not an event stream' });
    }
    await readEventStream(res.body, (event, data) => {
      if (event === 'run') onRun(JSON.parse(data) as Run);
    });
  },
};

/** Minimal text/event-stream parser: calls `onEvent(event, data)` per dispatched event. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  const line = (l: string) => {
    if (l === '') {
      if (data.length) onEvent(event, data.join('\n'));
      event = 'message';
      data = [];
    } else if (l.startsWith('event:')) event = l.slice(6).trim();
    else if (l.startsWith('data:')) data.push(l.slice(5).replace(/^ /, ''));
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r?\n/)) >= 0) {
      line(buffer.slice(0, nl));
      buffer = buffer.slice(buffer[nl] === '\r' ? nl + 2 : nl + 1);
    }
  }
  if (buffer) line(buffer);
  line('');
}

/** True for the 404 (or 405/501) a proposed, not yet implemented endpoint answers. */
export function isNotAvailable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501);
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
