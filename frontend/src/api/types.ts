// Wire types of the Trainyard REST API (/api/v1), derived from the backend's OpenAPI document:
// `npm run build` generates ./openapi.gen.ts from ../docs/openapi.json (openapi-typescript), so a field
// the backend renames, retypes or drops fails `tsc` here instead of surprising a page at run time.
import type { components } from './openapi.gen';

type Schemas = components['schemas'];

/** A parameter's declared type, as the template detail lists it. */
export type ParamType = Schemas['ParamInfo']['type'];

export type RunStatus = Schemas['RunStatus'];

export type StepStatus = Schemas['StepStatus'];

export const RUN_STATUSES: RunStatus[] = [
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'INTERRUPTED',
];

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'INTERRUPTED',
]);

export type TemplateSummary = Schemas['TemplateSummary'];
export type TemplateList = Schemas['TemplateList'];
export type TemplateVersion = Schemas['VersionInfo'];
export type ParamValue = Schemas['ParamValue'];
export type ParamSpec = Schemas['ParamInfo'];
export type TemplateStep = Schemas['StepInfo'];
export type TemplateDetail = Schemas['TemplateDetail'];

export type LaunchRequest = Schemas['LaunchBody'];
export type RunSummary = Schemas['RunSummary'];
export type RunPage = Schemas['RunPage'];

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

export type Attempt = Schemas['AttemptView'];
export type StepOutput = Schemas['OutputView'];
export type Step = Schemas['StepView'];
export type Run = Schemas['RunView'];
export type MetricPoint = Schemas['MetricPoint'];
export type StepMetrics = Schemas['StepMetrics'];

export type ArtifactFile = Schemas['FileView'];
export type Producer = Schemas['Producer'];
export type ArtifactSummary = Schemas['ArtifactSummary'];
export type ArtifactList = Schemas['ArtifactList'];
export type Tombstone = Schemas['Tombstone'];
export type Artifact = Schemas['ArtifactView'];
export type DatasetRegistration = Schemas['RegisterBody'];
export type DatasetVersion = Schemas['DatasetVersionView'];
export type DatasetVersionList = Schemas['DatasetVersionList'];

export type Alias = Schemas['AliasView'];
export type AliasList = Schemas['AliasList'];
export type AliasHistoryEntry = Schemas['HistoryEntry'];
export type AliasHistory = Schemas['AliasHistory'];

export type LineageDirection = 'ancestors' | 'descendants';
export type LineageNode = Schemas['Node'];
export type LineageEdge = Schemas['Edge'];
export type Lineage = Schemas['Graph'];

export type RetentionPolicy = Schemas['Policy'];
export type RetentionDecision = Schemas['Decision'];
export type RetentionReport = Schemas['Report'];

export type FieldError = Schemas['FieldError'];

/**
 * RFC 9457 problem details as the backend writes them; the client also builds one for answers that
 * are not JSON, so every field may be missing there.
 */
export type Problem = Partial<Schemas['ProblemDetails']>;

export type Gpu = Schemas['Gpu'];
export type WorkerInfo = Schemas['WorkerView'];
export type WorkerList = Schemas['WorkerList'];

export type HistoryEvent = Schemas['HistoryEvent'];
export type HistoryPage = Schemas['HistoryPage'];

export type EvalResult = Schemas['EvalResult'];
export type EvalResults = Schemas['EvalResults'];
export type ModelCard = Schemas['ModelCardView'];

export type AuthConfig = Schemas['AuthConfig'];
