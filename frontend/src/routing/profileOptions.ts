import type { ArtifactSummary } from '../api/types';
import { formatTime } from '../common/format';

/** How the compare picker names a routing profile: its name, step, run and date, never a bare hash. */
export function profileOptionLabel(a: ArtifactSummary): string {
  const name = a.name ?? 'routing profile';
  const from = a.producedBy ? `step ${a.producedBy.stepId} of run ${a.producedBy.runId}` : 'registered';
  return `${name} · ${from} · ${formatTime(a.createdAt)}`;
}

/** The profiles one can compare `current` with: every other routing profile whose files still exist. */
export function comparableProfiles(all: ArtifactSummary[], current: string): ArtifactSummary[] {
  return all.filter((a) => a.type === 'routing-profile' && a.id !== current && !a.deleted);
}
