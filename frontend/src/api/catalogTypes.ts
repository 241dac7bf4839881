// Wire types of the template editor's endpoints: validation without saving, and the step-kind
// catalogue. Apart from types.ts so that the generated API types can replace both in one step.
import type { TemplateStep } from './types';

/** One problem of a spec: `steps[1].config.lr` / `must be > 0`. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** `POST /api/v1/templates/validate`: what saving the spec would meet; nothing is created. */
export interface SpecValidation {
  valid: boolean;
  problems: SpecProblem[];
  /** The spec's name, when it has a usable one. */
  name: string | null;
  /** The latest version of the template of that name the caller sees; saving then adds a version. */
  latestVersion: number | null;
  /** Whether the saved version would wait for an admin's approval (it runs user code). */
  needsApproval: boolean;
  /** The step graph as far as the spec could be read. */
  steps: TemplateStep[];
}

export interface StepKindInfo {
  name: string;
  description: string;
  execution: string;
  outputs: { name: string; type: string }[];
  cacheable: boolean;
  runsUserCode: boolean;
  failures: string[];
  defaultAttempts: number;
  /** One step in YAML, ready to paste under `steps:`. */
  example: string | null;
  /** The step as a JSON Schema (draft 2020-12) document. */
  schema: Record<string, unknown>;
}

/** `GET /api/v1/step-kinds`. */
export interface StepKindCatalogue {
  dialect: string;
  kinds: StepKindInfo[];
  pipeline: Record<string, unknown>;
}
