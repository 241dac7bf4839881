// What the editor decides without React: where a save goes, and how a kind's example joins the spec.
import type { SpecValidation } from '../../api/catalogTypes';

export const STARTER_SPEC = `apiVersion: trainyard/v1
kind: Pipeline
name: my-pipeline
description: what this pipeline does
params:
  greeting: {type: string, default: hello}
steps:
  - id: greet
    kind: command
    run: echo "$TRAINYARD_PARAM_GREETING" > "$TRAINYARD_OUTPUT/greeting.txt"
`;

export type SaveTarget =
  { kind: 'create'; name: string } | { kind: 'version'; name: string; version: number };

/** A valid spec whose template the caller sees becomes its next version; otherwise a new template. */
export function saveTarget(v: SpecValidation): SaveTarget | null {
  if (!v.valid || !v.name) return null;
  return v.latestVersion == null
    ? { kind: 'create', name: v.name }
    : { kind: 'version', name: v.name, version: v.latestVersion + 1 };
}

/** Appends a kind's example (a YAML list item at column 0) under `steps:`, indented as the spec's steps are. */
export function appendStep(spec: string, example: string): string {
  const item = spec.split(/\r?\n/).find((l) => /^\s*-\s+id:/.test(l));
  const indent = item ? item.slice(0, item.indexOf('-')) : '  ';
  const block = example
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l ? indent + l : l))
    .join('\n');
  const body = spec.replace(/\s+$/, '');
  return `${body}\n${/^\s*steps:\s*$/m.test(body) ? '' : 'steps:\n'}${block}\n`;
}
