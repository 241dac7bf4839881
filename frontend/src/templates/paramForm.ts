// The launch form's model: raw input values per param, client-side checks that mirror the server's,
// conversion to the typed params body, and routing of server errors to fields.
import type { FieldError, ParamSpec, ParamValue, Problem } from '../api/types';

/** What an input holds: text for text/number inputs, a flag for checkboxes. */
export type RawValue = string | boolean;
export type RawValues = Record<string, RawValue>;
export type FieldErrors = Record<string, string>;

export function initialValues(params: ParamSpec[]): RawValues {
  const values: RawValues = {};
  for (const p of params) {
    if (p.type === 'boolean') values[p.name] = p.default === true || p.default === 'true';
    else values[p.name] = p.default === null || p.default === undefined ? '' : String(p.default);
  }
  return values;
}

const INTEGER = /^[+-]?\d+$/;

/**
 * @param unresolved per checkpoint/dataset param, the server's "no … with alias, name or id" message when
 *     the picker's search showed that the typed text names nothing (null or absent: resolves or unknown)
 */
export function validate(
  params: ParamSpec[],
  values: RawValues,
  unresolved: Record<string, string | null> = {},
): FieldErrors {
  const errors: FieldErrors = {};
  for (const p of params) {
    if (p.type === 'boolean') continue; // a checkbox always has a value
    const raw = String(values[p.name] ?? '').trim();
    if (raw === '') {
      if (p.required) errors[p.name] = 'required';
      continue;
    }
    if (p.type === 'int' && !INTEGER.test(raw)) errors[p.name] = 'must be an integer';
    else if (p.type === 'number' && !Number.isFinite(Number(raw))) errors[p.name] = 'must be a number';
    else if ((p.type === 'checkpoint' || p.type === 'dataset') && unresolved[p.name])
      errors[p.name] = unresolved[p.name]!;
  }
  return errors;
}

/** The `params` body of POST /runs. Blank optional fields are left out so the server applies its default. */
export function toRequestParams(params: ParamSpec[], values: RawValues): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of params) {
    const v = values[p.name];
    if (p.type === 'boolean') {
      out[p.name] = v === true;
      continue;
    }
    const raw = String(v ?? '').trim();
    if (raw === '') continue;
    out[p.name] = p.type === 'int' || p.type === 'number' ? Number(raw) : raw;
  }
  return out;
}

/**
 * Splits a problem's errors into those about a param field (`params.<name>`, `params.<name>.x`,
 * `params[<name>]`) and the rest, which belong in a banner.
 */
export function routeServerErrors(
  params: ParamSpec[],
  problem: Problem,
): { fields: FieldErrors; other: FieldError[] } {
  const names = new Set(params.map((p) => p.name));
  const fields: FieldErrors = {};
  const other: FieldError[] = [];
  for (const e of problem.errors ?? []) {
    const m = /^params(?:\.([^.[\]]+)|\[["']?([^\]"']+)["']?\])/.exec(e.path ?? '');
    const name = m ? (m[1] ?? m[2]) : undefined;
    if (name && names.has(name)) fields[name] = fields[name] ? `${fields[name]}; ${e.message}` : e.message;
    else other.push(e);
  }
  return { fields, other };
}

export const REFERENCE_HINT = 'alias, name or sha256';
/** A dataset parameter names a version (DatasetRefs on the server). */
export const DATASET_REFERENCE_HINT = 'name (latest), name:vN, name@alias or sha256 prefix';
