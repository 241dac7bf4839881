import type { RunStatus, StepStatus } from '../api/types';

export function StatusBadge({ status }: { status: RunStatus | StepStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase().replace('_', '-')}`} data-testid="status-badge">
      {status.replace('_', ' ')}
    </span>
  );
}
