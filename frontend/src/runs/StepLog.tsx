import { api } from '../api/client';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

/** The step's log text; re-read every few seconds while the step is still running. */
export function StepLog({ runId, stepId, live }: { runId: string; stepId: string; live: boolean }) {
  const log = useApi((s) => api.getStepLog(runId, stepId, s), [runId, stepId], {
    pollMs: 3000,
    stopWhen: () => !live,
  });
  return (
    <div className="step-log">
      {log.error && <ErrorBox error={log.error} title="Could not load log" />}
      {log.loading && log.data === undefined && <Loading what="Loading log" />}
      {log.data !== undefined &&
        (log.data === '' ? <p className="muted">The log is empty.</p> : <pre className="log">{log.data}</pre>)}
      <button className="small" onClick={log.reload}>
        Refresh log
      </button>
    </div>
  );
}
