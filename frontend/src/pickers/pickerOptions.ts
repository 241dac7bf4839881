// What the artifact picker offers for a typed text, and whether that text names an artifact the way the
// server resolves it (LaunchParams + ArtifactResolver): an alias, an exact name, or a unique id prefix of ≥ 12.
import type { Alias, ArtifactSummary, DatasetVersion } from '../api/types';
import { checkpointName, formatBestEval, shortRunId } from '../checkpoints/naming';

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
      label: checkpointName(a),
      detail: describe(a),
      artifact: a,
    });
  return out;
}

/** Step, run, date and best eval: enough to tell apart checkpoints of one template's runs. */
function describe(a: ArtifactSummary): string {
  const from = a.producedBy
    ? `step ${a.producedBy.stepId} · run ${shortRunId(a.producedBy.runId)} · ${new Date(a.createdAt).toLocaleDateString()}`
    : a.model
      ? 'imported'
      : 'registered';
  const score = a.bestEval ? ` · ${formatBestEval(a.bestEval)}` : '';
  const aliases = a.aliases?.length ? ` · @${a.aliases.join(' @')}` : '';
  const type = a.type === 'checkpoint' || a.type === 'dataset' ? '' : ` · ${a.type}`;
  // An imported checkpoint says what it is: family, size, dtype (from its config and safetensors headers).
  const model = a.model
    ? ` · ${a.model.family} · ${a.model.parameters.toLocaleString('en')} params · ${a.model.dtype}`
    : '';
  return `${from}${score}${aliases}${type}${model} · ${a.id.slice(0, 12)}`;
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

// Datasets have versions (DatasetRefs on the server): `corpus` is the latest, `corpus:v3` one version,
// `corpus@production` the version an alias points at, and 8+ hex characters a content-id prefix.
const VERSIONED = /^(.+):v(\d+)$/;
const DATASET_ID_PREFIX = /^[0-9a-f]{8,64}$/;

/** What to search the dataset list by: the name part of `corpus:v3` or `corpus@alias`. */
export function datasetSearchText(value: string): string {
  const text = value.trim();
  const at = text.lastIndexOf('@');
  if (at > 0) return text.slice(0, at);
  const m = VERSIONED.exec(text);
  return m ? m[1] : text;
}

function versionDetail(v: DatasetVersion): string {
  const records = `${v.records.toLocaleString('en')} record${v.records === 1 ? '' : 's'}`;
  return `${v.id.slice(0, 12)} · ${v.format} · ${records}`;
}

function asSummary(v: DatasetVersion): ArtifactSummary {
  return {
    id: v.id,
    type: 'dataset',
    name: v.ref,
    sizeBytes: v.sizeBytes,
    createdAt: v.createdAt,
    producedBy: null,
    parameters: null,
    sparsity: null,
    deleted: false,
    model: null,
    template: null,
    aliases: [],
    bestEval: null,
  };
}

/**
 * The options of a dataset picker: per name its latest version (the bare name), then aliases on its versions
 * (`name@alias`), then every version (`name:vN`), newest first.
 */
export function datasetOptions(q: string, versions: DatasetVersion[], aliases: Alias[]): PickerOption[] {
  const byName = new Map<string, DatasetVersion[]>();
  for (const v of versions) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const text = q.trim();
  const out: PickerOption[] = [];
  for (const [name, all] of byName) {
    const sorted = [...all].sort((a, b) => b.version - a.version);
    const latest = sorted[0];
    out.push({
      value: name,
      label: `${name} (latest: v${latest.version})`,
      detail: versionDetail(latest),
      artifact: asSummary(latest),
    });
    for (const v of sorted)
      for (const al of aliases)
        if (al.artifactId === v.id && `${name}@${al.name}`.startsWith(text))
          out.push({
            value: `${name}@${al.name}`,
            label: `${name}@${al.name}`,
            detail: `v${v.version} · ${versionDetail(v)}`,
            artifact: asSummary(v),
            viaAlias: al.name,
          });
    for (const v of sorted)
      out.push({ value: v.ref, label: v.ref, detail: versionDetail(v), artifact: asSummary(v) });
  }
  return out;
}

/** The server's refusal for a dataset reference, decided on a search for its name part; null when it resolves. */
export function unresolvedDataset(
  value: string,
  versions: DatasetVersion[],
  aliases: Alias[],
  pageFull: boolean,
): string | null {
  const ref = value.trim();
  if (!ref || pageFull) return null;
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const name = ref.slice(0, at);
    const alias = aliases.find((a) => a.name === ref.slice(at + 1));
    if (!alias) return `no alias '${ref.slice(at + 1)}' on a dataset`;
    const target = versions.find((v) => v.id === alias.artifactId);
    // An alias on something this search did not return: only the server can tell.
    if (!target) return null;
    return target.name === name
      ? null
      : `alias '${alias.name}' points at a version of '${target.name}', not '${name}'`;
  }
  const m = VERSIONED.exec(ref);
  if (m) {
    return versions.some((v) => v.name === m[1] && v.version === Number(m[2]))
      ? null
      : `no dataset '${m[1]}' with version ${m[2]}`;
  }
  // A bare alias may point at a version the name search did not return: leave it to the server.
  if (aliases.some((a) => a.name === ref)) return null;
  if (versions.some((v) => v.name === ref)) return null;
  if (DATASET_ID_PREFIX.test(ref)) {
    const n = versions.filter((v) => v.id.startsWith(ref)).length;
    if (n === 1) return null;
    if (n > 1) return `'${ref}' is ambiguous: it matches ${n} dataset versions; give more of the hash`;
  }
  return `no dataset with alias, name, name:vN or id '${ref}'`;
}
