// What the artifact picker offers for a typed text, and whether that text names an artifact the way the
// server resolves it (LaunchParams + ArtifactResolver): an alias, an exact name, or a unique id prefix of ≥ 12.
import type { Alias, ArtifactSummary } from '../api/types';

export type PickerKind = 'checkpoint' | 'dataset';

export interface PickerOption {
  /** What goes into the field: an alias stays an alias (it may move), otherwise the exact content id. */
  value: string;
  label: string;
  detail: string;
  artifact: ArtifactSummary;
  viaAlias?: string;
}

const ID_PREFIX = /^[0-9a-f]{12,64}$/;

/** The `type` filter of the search: a checkpoint param accepts any artifact on the server, a dataset param only datasets. */
export function searchType(kind: PickerKind): string | undefined {
  return kind === 'dataset' ? 'dataset' : undefined;
}

export function pickerOptions(q: string, found: ArtifactSummary[], aliases: Alias[]): PickerOption[] {
  const text = q.trim();
  // Checkpoints before other artifact types, each group newest first as the server sent it.
  const artifacts = [...found].sort(
    (x, y) => Number(y.type === 'checkpoint') - Number(x.type === 'checkpoint'),
  );
  const byId = new Map(artifacts.map((a) => [a.id, a]));
  const out: PickerOption[] = [];
  // Aliases first: "production" is what people usually mean.
  for (const al of aliases) {
    const a = byId.get(al.artifactId);
    if (a && al.name.startsWith(text))
      out.push({ value: al.name, label: al.name, detail: describe(a), artifact: a, viaAlias: al.name });
  }
  for (const a of artifacts)
    out.push({
      value: a.id,
      label: a.name ?? a.producedBy?.output ?? a.id.slice(0, 12),
      detail: describe(a),
      artifact: a,
    });
  return out;
}

function describe(a: ArtifactSummary): string {
  const from = a.producedBy ? `${a.producedBy.runId} / ${a.producedBy.stepId}` : 'registered';
  const type = a.type === 'checkpoint' || a.type === 'dataset' ? '' : ` · ${a.type}`;
  return `${a.id.slice(0, 12)} · ${from}${type}`;
}

/**
 * The server's "no checkpoint with alias, name or id 'x'" decided on a search result for exactly `value`,
 * or null when it resolves (or when the page was full, so absence proves nothing).
 */
export function unresolvedMessage(
  kind: PickerKind,
  value: string,
  artifacts: ArtifactSummary[],
  aliases: Alias[],
  pageFull: boolean,
): string | null {
  const ref = value.trim();
  if (!ref || pageFull) return null;
  const ids = new Set(artifacts.map((a) => a.id));
  const found =
    aliases.some((al) => al.name === ref && ids.has(al.artifactId)) ||
    artifacts.some((a) => a.name === ref) ||
    (ID_PREFIX.test(ref) && artifacts.filter((a) => a.id.startsWith(ref)).length === 1);
  return found ? null : `no ${kind} with alias, name or id '${ref}'`;
}
