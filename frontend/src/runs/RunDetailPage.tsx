import { useCallback, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { TERMINAL_RUN_STATUSES, type Run } from '../api/types';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { formatDuration, formatTime, formatValue } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { StatusBadge } from '../common/StatusBadge';
import { useApi } from '../common/useApi';
import { RunDag } from './RunDag';
import { StepPanel } from './StepPanel';
import { RunHistory } from './RunHistory';
import { StepsTable } from './StepsTable';
import { StepTimeline } from './StepTimeline';
import { useRunLive } from './useRunLive';

const POLL_MS = 1500;

const CANCELLABLE = new Set(['PENDING', 'RUNNING']);
const RETRYABLE = new Set(['FAILED', 'CANCELLED', 'INTERRUPTED']);

interface ActionResult {
  ok: boolean;
  message: string;
}

interface Pending {
  question: string;
  label: string;
  danger?: boolean;
  action: () => Promise<Run>;
  done: string;
}

export function RunDetailPage() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const [streaming, setStreaming] = useState(false);
  const run = useApi((s) => api.getRun(id, s), [id], {
    // Server-sent events replace polling while they flow; polling is the fallback.
    pollMs: streaming ? undefined : POLL_MS,
    stopWhen: (r) => TERMINAL_RUN_STATUSES.has(r.status),
  });
  const r = run.data;
  const active = !!r && !TERMINAL_RUN_STATUSES.has(r.status);
  const live = useRunLive(id, active, run.mutate);
  useEffect(() => setStreaming(live), [live]);
  const now = useNow(active);

  const spec = useApi(
    (s) =>
      r
        ? api.getTemplateVersion(r.template, r.templateVersion, s).then((t) => t.spec)
        : Promise.resolve(undefined),
    [r?.template, r?.templateVersion],
  );

  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult>();
  const [pending, setPending] = useState<Pending>();

  const ask = (p: Pending) => {
    setResult(undefined);
    setPending(p);
  };
  const confirm = async () => {
    if (!pending) return;
    const p = pending;
    setPending(undefined);
    setBusy(true);
    try {
      run.setData(await p.action());
      setResult({ ok: true, message: p.done });
    } catch (e) {
      setResult({ ok: false, message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const stepParam = search.get('step');
  const selected =
    (r && r.steps.find((s) => s.id === stepParam)?.id) ??
    (r &&
      (
        r.steps.find((s) => s.status === 'WAITING_APPROVAL') ??
        r.steps.find((s) => s.status === 'RUNNING') ??
        r.steps.find((s) => s.status === 'FAILED') ??
        r.steps[0]
      )?.id) ??
    null;
  const hrefFor = useCallback(
    (stepId: string) => {
      const next = new URLSearchParams(search);
      next.set('step', stepId);
      return `?${next.toString()}`;
    },
    [search],
  );
  const tabHref = (tab: 'steps' | 'history') => {
    const next = new URLSearchParams(search);
    if (tab === 'history') next.set('tab', 'history');
    else next.delete('tab');
    return `?${next.toString()}`;
  };
  const tab = search.get('tab') === 'history' ? 'history' : 'steps';
  const approve = (stepId: string) =>
    ask({
      question: `Approve step ${stepId}? The steps after it will start.`,
      label: 'Approve',
      action: () => api.approveStep(id, stepId),
      done: `Step ${stepId} approved.`,
    });
  const step = r?.steps.find((s) => s.id === selected);

  return (
    <section>
      <p className="crumbs">
        <Link to="/runs">Runs</Link> / {id}
      </p>
      {run.error && <ErrorBox error={run.error} title={r ? 'Refresh failed' : 'Could not load run'} />}
      {run.loading && !r && <Loading what="Loading run" />}
      {r && (
        <>
          <h1>
            Run <code>{r.id}</code> <StatusBadge status={r.status} />{' '}
            {active && <span className="live-dot">{live ? 'live' : 'polling'}</span>}
          </h1>
          <div className="run-actions">
            <button
              disabled={busy || !CANCELLABLE.has(r.status)}
              onClick={() =>
                ask({
                  question: `Cancel run ${r.id}? Running steps are stopped.`,
                  label: 'Cancel run',
                  danger: true,
                  action: () => api.cancelRun(r.id),
                  done: 'Cancellation requested.',
                })
              }
            >
              Cancel
            </button>
            <button
              disabled={busy || !RETRYABLE.has(r.status)}
              onClick={() =>
                ask({
                  question: `Retry run ${r.id} from the failed step? Completed steps are reused.`,
                  label: 'Retry',
                  action: () => api.retryRun(r.id),
                  done: 'Retry started from the failed step.',
                })
              }
            >
              Retry from failed
            </button>
            <Link className="button-link" to={`/templates/${encodeURIComponent(r.template)}`}>
              Launch again…
            </Link>
          </div>
          {pending && (
            <ConfirmDialog
              question={pending.question}
              confirmLabel={pending.label}
              danger={pending.danger}
              onConfirm={confirm}
              onCancel={() => setPending(undefined)}
            />
          )}
          {result && (
            <div
              className={`banner ${result.ok ? 'banner-ok' : 'banner-error'}`}
              role={result.ok ? 'status' : 'alert'}
            >
              {result.message}
            </div>
          )}
          {r.error && (
            <div className="banner banner-error">
              <strong>Error: </strong>
              <span className="pre-wrap">{r.error}</span>
            </div>
          )}
          <div className="run-head">
            <dl className="facts">
              <dt>Template</dt>
              <dd>
                <Link to={`/templates/${encodeURIComponent(r.template)}`}>{r.template}</Link>@
                {r.templateVersion}
              </dd>
              <dt>Launched by</dt>
              <dd>{r.launchedBy ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{formatTime(r.createdAt)}</dd>
              <dt>Duration</dt>
              <dd>
                {formatDuration(r.startedAt, r.finishedAt, now)}
                {r.executions && r.executions > 1 ? (
                  <span className="muted"> · {r.executions} executions</span>
                ) : null}
              </dd>
            </dl>
            <div>
              {Object.keys(r.params ?? {}).length === 0 ? (
                <Empty>No params.</Empty>
              ) : (
                <table className="params-table" aria-label="Params">
                  <tbody>
                    {Object.entries(r.params).map(([k, v]) => (
                      <tr key={k}>
                        <th>{k}</th>
                        <td>
                          <code>{formatValue(v)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
          <div role="tablist" aria-label="Run views" className="tabs">
            <Link role="tab" aria-selected={tab === 'steps'} to={tabHref('steps')}>
              Steps
            </Link>
            <Link role="tab" aria-selected={tab === 'history'} to={tabHref('history')}>
              Event history
            </Link>
          </div>
          {tab === 'history' ? (
            <div role="tabpanel" aria-label="Event history">
              <RunHistory runId={r.id} />
            </div>
          ) : (
            <div role="tabpanel" aria-label="Steps">
              {r.steps.length === 0 ? (
                <Empty>No steps planned yet.</Empty>
              ) : (
                <>
                  <div className="columns">
                    <div>
                      <h2>Graph</h2>
                      <RunDag steps={r.steps} selected={selected} hrefFor={hrefFor} />
                    </div>
                    <div>
                      <h2>Timeline</h2>
                      <StepTimeline steps={r.steps} selected={selected} hrefFor={hrefFor} now={now} />
                    </div>
                  </div>
                  <h2>Steps</h2>
                  <StepsTable
                    steps={r.steps}
                    selected={selected}
                    hrefFor={hrefFor}
                    onApprove={approve}
                    busy={busy}
                  />
                  {step && (
                    <StepPanel
                      key={step.id}
                      run={r}
                      step={step}
                      spec={spec.error ? null : spec.data}
                      busy={busy}
                      onApprove={approve}
                    />
                  )}
                </>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** The current time, ticking each second while `running`, so live durations and bars grow. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [running]);
  return running ? now : Date.now();
}
