import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import type { RetentionReport } from '../api/types';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { formatBytes, shortId } from '../common/format';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

/**
 * A template's checkpoint retention: the policy (admins change it), a dry run listing what would be
 * deleted and why the rest stays, and applying it after a confirmation. The server decides who may
 * do what; its refusals show here as they come.
 */
export function RetentionPanel({ template }: { template: string }) {
  const policy = useApi(
    (signal) =>
      api.getRetention(template, signal).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null; // no policy yet
        throw e;
      }),
    [template],
  );
  const [editing, setEditing] = useState(false);
  const [report, setReport] = useState<RetentionReport>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error>();
  const [confirming, setConfirming] = useState(false);

  const run = async (action: () => Promise<RetentionReport>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      setReport(await action());
    } catch (e) {
      setFailure(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label="Retention">
      <h2>Retention</h2>
      {policy.error && <ErrorBox error={policy.error} title="Could not load the retention policy" />}
      {policy.loading && policy.data === undefined && <Loading what="Loading retention policy" />}
      {policy.data === null && !editing && (
        <p className="muted">No retention policy: every checkpoint is kept.</p>
      )}
      {policy.data && !editing && (
        <p>
          Keeps the {policy.data.keepLastIntermediate} newest intermediate checkpoints and{' '}
          {policy.data.keepLastFinals === null
            ? 'every final checkpoint'
            : `the ${policy.data.keepLastFinals} newest finals`}
          ; aliased checkpoints and their lineage are never deleted. Applied after each successful run.{' '}
          <span className="muted small">Set by {policy.data.updatedBy}.</span>
        </p>
      )}
      {editing ? (
        <PolicyForm
          template={template}
          initial={policy.data ?? undefined}
          onSaved={(saved) => {
            policy.setData(saved);
            setEditing(false);
            setReport(undefined);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <p className="actions">
          <button onClick={() => setEditing(true)}>{policy.data ? 'Change policy' : 'Set a policy'}</button>
          {policy.data && (
            <>
              <button disabled={busy} onClick={() => void run(() => api.planRetention(template))}>
                Preview (dry run)
              </button>
              <button className="danger" disabled={busy} onClick={() => setConfirming(true)}>
                Apply now
              </button>
            </>
          )}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          question={`Delete the files of every checkpoint of ${template} that the policy does not keep?`}
          confirmLabel="Delete"
          danger
          onConfirm={() => {
            setConfirming(false);
            void run(() => api.applyRetention(template));
          }}
          onCancel={() => setConfirming(false)}
        />
      )}
      {failure && <ErrorBox error={failure} title="Retention refused" />}
      {report && <RetentionReportView report={report} />}
    </section>
  );
}

function PolicyForm({
  template,
  initial,
  onSaved,
  onCancel,
}: {
  template: string;
  initial?: { keepLastIntermediate: number; keepLastFinals: number | null };
  onSaved: (saved: Awaited<ReturnType<typeof api.setRetention>>) => void;
  onCancel: () => void;
}) {
  const [intermediate, setIntermediate] = useState(String(initial?.keepLastIntermediate ?? 2));
  const [finals, setFinals] = useState(initial?.keepLastFinals == null ? '' : String(initial.keepLastFinals));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!/^\d+$/.test(intermediate.trim())) problems.keepLastIntermediate = 'a whole number, 0 or more';
    if (finals.trim() !== '' && !/^\d+$/.test(finals.trim()))
      problems.keepLastFinals = 'a whole number, or empty to keep every final';
    setErrors(problems);
    if (Object.keys(problems).length) return;
    try {
      onSaved(
        await api.setRetention(template, {
          keepLastIntermediate: Number(intermediate),
          keepLastFinals: finals.trim() === '' ? null : Number(finals),
        }),
      );
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors?.length) {
        setErrors(Object.fromEntries(err.problem.errors.map((x) => [x.path, x.message])));
      } else {
        setFailure(err as Error);
      }
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="retention-form">
      <label htmlFor="keep-intermediate">Newest intermediate checkpoints to keep</label>
      <input
        id="keep-intermediate"
        inputMode="numeric"
        value={intermediate}
        onChange={(e) => setIntermediate(e.target.value)}
      />
      {errors.keepLastIntermediate && <span className="field-error">{errors.keepLastIntermediate}</span>}
      <label htmlFor="keep-finals">Newest final checkpoints to keep (empty: all)</label>
      <input
        id="keep-finals"
        inputMode="numeric"
        value={finals}
        onChange={(e) => setFinals(e.target.value)}
      />
      {errors.keepLastFinals && <span className="field-error">{errors.keepLastFinals}</span>}
      {failure && <ErrorBox error={failure} title="Policy not saved" />}
      <p className="actions">
        <button type="submit" className="primary">
          Save policy
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </form>
  );
}

export function RetentionReportView({ report }: { report: RetentionReport }) {
  const deleted = report.decisions.filter((d) => d.action === 'DELETE');
  return (
    <div role="status" aria-label={report.dryRun ? 'Dry run' : 'Retention applied'}>
      <p>
        {report.dryRun ? 'Dry run: would delete' : 'Deleted'} {deleted.length} of {report.decisions.length}{' '}
        checkpoints
        {report.resumeStates.length > 0 && <> and {report.resumeStates.length} trainer resume states</>},{' '}
        {report.dryRun ? 'freeing' : 'freed'} {formatBytes(report.bytesToFree)}.
      </p>
      {report.errors.map((e) => (
        <p key={e} className="field-error">
          {e}
        </p>
      ))}
      {report.decisions.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Checkpoint</th>
              <th>Run / step</th>
              <th>Kind</th>
              <th>Size</th>
              <th>Action</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {report.decisions.map((d) => (
              <tr key={d.artifactId}>
                <td>
                  <Link to={`/artifacts/${encodeURIComponent(d.artifactId)}`}>{shortId(d.artifactId)}</Link>
                </td>
                <td>
                  <Link to={`/runs/${encodeURIComponent(d.runId)}?step=${encodeURIComponent(d.stepId)}`}>
                    {d.runId} / {d.stepId}
                  </Link>
                </td>
                <td>{d.finalOutput ? 'final' : 'intermediate'}</td>
                <td>{formatBytes(d.sizeBytes)}</td>
                <td className={d.action === 'DELETE' ? 'danger-text' : undefined}>
                  {d.action === 'DELETE' ? 'delete' : 'keep'}
                </td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
