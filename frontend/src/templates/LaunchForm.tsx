import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { ArtifactPicker } from '../pickers/ArtifactPicker';
import type { FieldError, ParamSpec, ParamValue } from '../api/types';
import {
  initialValues,
  DATASET_REFERENCE_HINT,
  REFERENCE_HINT,
  routeServerErrors,
  toRequestParams,
  validate,
  type FieldErrors,
  type RawValues,
} from './paramForm';

interface Props {
  params: ParamSpec[];
  /** Launches the run; a rejected ApiError's problem is shown at the fields it concerns. */
  onSubmit: (params: Record<string, ParamValue>) => Promise<void>;
}

interface Banner {
  message: string;
  errors: FieldError[];
}

export function LaunchForm({ params, onSubmit }: Props) {
  const [values, setValues] = useState<RawValues>(() => initialValues(params));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [banner, setBanner] = useState<Banner>();
  const [submitting, setSubmitting] = useState(false);
  const [unresolved, setUnresolved] = useState<Record<string, string | null>>({});
  const resolved = (name: string, message: string | null) =>
    setUnresolved((prev) => (prev[name] === message ? prev : { ...prev, [name]: message }));

  const set = (name: string, v: string | boolean) => {
    setValues((prev) => ({ ...prev, [name]: v }));
    setErrors((prev) => {
      if (!(name in prev)) return prev;
      const { [name]: _dropped, ...rest } = prev;
      return rest;
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBanner(undefined);
    const clientErrors = validate(params, values, unresolved);
    setErrors(clientErrors);
    if (Object.keys(clientErrors).length > 0) return;
    setSubmitting(true);
    try {
      await onSubmit(toRequestParams(params, values));
    } catch (err) {
      if (err instanceof ApiError) {
        const { fields, other } = routeServerErrors(params, err.problem);
        setErrors(fields);
        const hasFieldErrors = Object.keys(fields).length > 0;
        if (other.length > 0 || !hasFieldErrors) {
          setBanner({ message: err.problem.title || err.message, errors: other });
        }
      } else {
        setBanner({ message: err instanceof Error ? err.message : String(err), errors: [] });
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form className="launch-form" onSubmit={submit} noValidate aria-label="Launch run">
      {banner && (
        <div className="banner banner-error" role="alert">
          <strong>{banner.message}</strong>
          {banner.errors.length > 0 && (
            <ul>
              {banner.errors.map((e, i) => (
                <li key={i}>
                  {e.path && <code>{e.path}</code>}
                  {e.path && ': '}
                  {e.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {params.length === 0 && <p className="muted">This template takes no parameters.</p>}
      {params.map((p) => (
        <ParamField
          key={p.name}
          param={p}
          value={values[p.name]}
          error={errors[p.name]}
          onChange={set}
          onResolved={resolved}
        />
      ))}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? 'Launching…' : 'Launch run'}
        </button>
      </div>
    </form>
  );
}

interface FieldProps {
  param: ParamSpec;
  value: string | boolean | undefined;
  error: string | undefined;
  onChange: (name: string, v: string | boolean) => void;
  onResolved: (name: string, message: string | null) => void;
}

function ParamField({ param: p, value, error, onChange, onResolved }: FieldProps) {
  const id = `param-${p.name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const isRef = p.type === 'checkpoint' || p.type === 'dataset';
  const describedBy = [error ? errorId : null, isRef || p.description ? hintId : null]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: p.name,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': p.required || undefined,
  };

  let input;
  if (p.type === 'boolean') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === true}
        onChange={(e) => onChange(p.name, e.target.checked)}
      />
    );
  } else if (p.type === 'int' || p.type === 'number') {
    input = (
      <input
        {...common}
        type="number"
        step={p.type === 'int' ? 1 : 'any'}
        value={String(value ?? '')}
        onChange={(e) => onChange(p.name, e.target.value)}
      />
    );
  } else if (p.type === 'checkpoint' || p.type === 'dataset') {
    input = (
      <ArtifactPicker
        id={id}
        name={p.name}
        kind={p.type}
        value={String(value ?? '')}
        onChange={(v) => onChange(p.name, v)}
        onResolved={(m) => onResolved(p.name, m)}
        placeholder={p.type === 'dataset' ? DATASET_REFERENCE_HINT : REFERENCE_HINT}
        invalid={!!error}
        describedBy={common['aria-describedby']}
        required={p.required}
      />
    );
  } else {
    input = (
      <input
        {...common}
        type="text"
        value={String(value ?? '')}
        onChange={(e) => onChange(p.name, e.target.value)}
      />
    );
  }

  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-testid={`field-${p.name}`}>
      <label htmlFor={id}>
        {p.name}
        {p.required && (
          <span className="required" title="required">
            {' '}
            *
          </span>
        )}
        <span className="param-type">{p.type}</span>
      </label>
      {input}
      {(isRef || p.description) && (
        <small id={hintId} className="hint">
          {[p.description, isRef ? (p.type === 'dataset' ? DATASET_REFERENCE_HINT : REFERENCE_HINT) : null]
            .filter(Boolean)
            .join(' — ')}
        </small>
      )}
      {error && (
        <small id={errorId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}
