// Wire types of the Trainyard REST API (/api/v1). Keep in step with the backend's OpenAPI document.

export type ParamType = 'string' | 'int' | 'number' | 'boolean' | 'checkpoint' | 'dataset';

export type RunStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';

export type StepStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'WAITING_APPROVAL'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'CANCELLED'
  | 'SKIPPED'
  | 'REUSED';

export const RUN_STATUSES: RunStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED'];

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'INTERRUPTED',
]);

export interface TemplateSummary {
  name: string;
  latestVersion: number;
  description: string | null;
  createdAt: string;
}

export interface TemplateList {
  items: TemplateSummary[];
}

export interface TemplateVersion {
  version: number;
  createdAt: string;
  createdBy: string | null;
}

export type ParamValue = string | number | boolean;

export interface ParamSpec {
  name: string;
  type: ParamType;
  required: boolean;
  default: ParamValue | null;
  description: string | null;
}

export interface TemplateStep {
  id: string;
  kind: string;
  /** The explicit `needs:` as written. */
  needs: string[];
  /** Everything the step waits for: its needs plus the steps whose outputs it references (older servers omit it). */
  dependsOn?: string[];
}

export interface TemplateDetail {
  name: string;
  description: string | null;
  team?: string | null;
  latestVersion: number;
  /** The version this detail describes (the latest unless asked for another). */
  version?: number;
  approved?: boolean;
  versions: TemplateVersion[];
  spec: string;
  params: ParamSpec[];
  steps: TemplateStep[];
}

export interface LaunchRequest {
  template: string;
  version?: number;
  params: Record<string, ParamValue>;
}

export interface RunSummary {
  id: string;
  template: string;
  templateVersion: number;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  launchedBy: string | null;
}

export interface RunPage {
  items: RunSummary[];
  nextCursor: string | null;
}

export interface RunFilter {
  status?: RunStatus | '';
  template?: string;
  team?: string;
  launchedBy?: string;
  /** A date (2025-01-31) or an instant; inclusive. */
  createdFrom?: string;
  /** A date (inclusive of that day) or an instant (exclusive). */
  createdTo?: string;
  /** Prefix of the run id, template name or launcher, ignoring case. */
  q?: string;
  limit?: number;
  cursor?: string | null;
}

export interface Attempt {
  attempt: number;
  status: StepStatus;
  worker: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** Final scalar metrics the attempt reported (last value per name). */
  metrics?: Record<string, number> | null;
  /** Proposed: GPU indices on the worker the attempt ran on. */
  gpus?: number[] | null;
}

export interface StepOutput {
  artifactId: string;
}

export interface Step {
  id: string;
  kind: string;
  status: StepStatus;
  needs: string[];
  attempts: Attempt[];
  outputs: Record<string, StepOutput>;
}

export interface Run extends RunSummary {
  /** How many times the run was executed (1 + retries). */
  executions?: number;
  params: Record<string, unknown>;
  error: string | null;
  steps: Step[];
}

export interface MetricPoint {
  step: number;
  name: string;
  value: number;
}

export interface StepMetrics {
  points: MetricPoint[];
}

export interface ArtifactFile {
  path: string;
  sizeBytes: number;
  sha256: string;
}

export interface Producer {
  runId: string;
  stepId: string;
  attempt: number | null;
  /** The step output the artifact was written as. */
  output?: string | null;
}

export interface ArtifactSummary {
  id: string;
  type: string;
  name: string | null;
  sizeBytes: number;
  createdAt: string;
  producedBy: Producer | null;
  /** Retention deleted the files; the row stays as a tombstone. */
  deleted?: boolean;
  /** Tensor element count, where the producing step measured it. */
  parameters?: number | null;
  /** Share of zero weights (0..1), where the producing step measured it. */
  sparsity?: number | null;
}

export interface ArtifactList {
  items: ArtifactSummary[];
}

export interface Tombstone {
  at: string;
  by: string;
  reason: string;
}

export interface Artifact extends Omit<ArtifactSummary, 'deleted'> {
  /** Present when retention deleted the files (hashes below still say what they were). */
  deleted?: Tombstone | null;
  team?: string | null;
  uri?: string | null;
  createdBy?: string | null;
  files: ArtifactFile[];
  aliases: string[];
}

export interface DatasetRegistration {
  name: string;
  uri: string;
  /** Optional: the server computes the hash and refuses the registration if this differs. */
  sha256?: string;
}

export interface Alias {
  name: string;
  artifactId: string;
  updatedAt: string;
  updatedBy: string | null;
}

export interface AliasList {
  items: Alias[];
}

export interface AliasHistoryEntry {
  artifactId: string;
  previousArtifactId: string | null;
  changedAt: string;
  changedBy: string | null;
}

export interface AliasHistory {
  items: AliasHistoryEntry[];
}

export type LineageDirection = 'ancestors' | 'descendants';

export interface LineageNode {
  /** `artifact:<id>` or `step:<runId>/<stepId>/<attempt>` */
  id: string;
  type: string;
  label: string | null;
  /** An artifact whose files retention deleted: shown as a tombstone. */
  deleted?: boolean;
}

export interface LineageEdge {
  from: string;
  to: string;
  role: string;
}

export interface Lineage {
  root: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export interface RetentionPolicy {
  template: string;
  keepLastIntermediate: number;
  /** null keeps every final checkpoint */
  keepLastFinals: number | null;
  updatedAt: string;
  updatedBy: string;
}

export interface RetentionDecision {
  artifactId: string;
  runId: string;
  stepId: string;
  output: string;
  sizeBytes: number;
  createdAt: string;
  finalOutput: boolean;
  action: 'DELETE' | 'KEEP';
  reason: string;
}

export interface RetentionReport {
  template: string;
  policy: RetentionPolicy;
  dryRun: boolean;
  decisions: RetentionDecision[];
  resumeStates: { runId: string; stepId: string; attempt: number; path: string; sizeBytes: number }[];
  bytesToFree: number;
  errors: string[];
}

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as the backend writes them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

// --- proposed endpoints (not in the API yet; the UI falls back when they answer 404) -----------

/** `GET /api/v1/runs/{id}/events` (text/event-stream): `event: run` whose data is the full Run. */
export interface RunEvent {
  type: 'run';
  run: Run;
}

export interface GpuInfo {
  index: number;
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  /** 0..1 */
  utilization: number;
  running: { runId: string; stepId: string; attempt: number } | null;
}

export interface WorkerInfo {
  id: string;
  pool: string;
  host: string;
  status: 'IDLE' | 'BUSY' | 'OFFLINE';
  lastHeartbeatAt: string;
  gpus: GpuInfo[];
}

/** `GET /api/v1/workers` */
export interface WorkerList {
  items: WorkerInfo[];
}

export interface EvalResult {
  suite: string;
  metric: string;
  value: number;
  higherIsBetter: boolean;
  runId: string | null;
  stepId: string | null;
  evaluatedAt: string;
}

/** `GET /api/v1/artifacts/{id}/evals` */
export interface EvalResults {
  items: EvalResult[];
}
