import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client';
import { TERMINAL_RUN_STATUSES, type Run } from '../api/types';
import { formatDuration, formatTime, formatValue } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { StatusBadge } from '../common/StatusBadge';
import { useApi } from '../common/useApi';
import { StepsTable } from './StepsTable';

const POLL_MS = 1500;

const CANCELLABLE = new Set(['PENDING', 'RUNNING']);
const RETRYABLE = new Set(['FAILED', 'CANCELLED', 'INTERRUPTED']);

interface ActionResult {
  ok: boolean;
  message: string;
}

export function RunDetailPage() {
  const { id = '' } = useParams();
  const run = useApi((s) => api.getRun(id, s), [id], {
    pollMs: POLL_MS,
    stopWhen: (r) => TERMINAL_RUN_STATUSES.has(r.status),
  });
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult>();

  const act = async (question: string, action: () => Promise<Run>, done: string) => {
    if (!window.confirm(question)) return;
    setBusy(true);
    setResult(undefined);
    try {
      run.setData(await action());
      setResult({ ok: true, message: done });
    } catch (e) {
      setResult({ ok: false, message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const r = run.data;
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
            Run <code>{r.id}</code> <StatusBadge status={r.status} />
          </h1>
          <div className="run-actions">
            <button
              disabled={busy || !CANCELLABLE.has(r.status)}
              onClick={() => act(`Cancel run ${r.id}?`, () => api.cancelRun(r.id), 'Cancellation requested.')}
            >
              Cancel
            </button>
            <button
              disabled={busy || !RETRYABLE.has(r.status)}
              onClick={() =>
                act(`Retry run ${r.id} from the failed step?`, () => api.retryRun(r.id), 'Retry started from the failed step.')
              }
            >
              Retry from failed
            </button>
          </div>
          {result && (
            <div className={`banner ${result.ok ? 'banner-ok' : 'banner-error'}`} role={result.ok ? 'status' : 'alert'}>
              {result.message}
            </div>
          )}
          {r.error && (
            <div className="banner banner-error">
              <strong>Error: </strong>
              {r.error}
            </div>
          )}
          <dl className="facts">
            <dt>Template</dt>
            <dd>
              <Link to={`/templates/${encodeURIComponent(r.template)}`}>{r.template}</Link>@{r.templateVersion}
            </dd>
            <dt>Launched by</dt>
            <dd>{r.launchedBy ?? '—'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(r.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{formatTime(r.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(r.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(r.startedAt, r.finishedAt)}</dd>
          </dl>
          <h2>Params</h2>
          {Object.keys(r.params ?? {}).length === 0 ? (
            <Empty>No params.</Empty>
          ) : (
            <table className="params-table">
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
          <h2>Steps</h2>
          {r.steps.length === 0 ? (
            <Empty>No steps planned yet.</Empty>
          ) : (
            <StepsTable
              runId={r.id}
              steps={r.steps}
              busy={busy}
              onApprove={(stepId) =>
                act(`Approve step ${stepId}?`, () => api.approveStep(r.id, stepId), `Step ${stepId} approved.`)
              }
            />
          )}
        </>
      )}
    </section>
  );
}
