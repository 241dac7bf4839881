import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../api/types';
import { routeServerErrors, validate } from './paramForm';

const p = (name: string, type: ParamSpec['type'], required = false): ParamSpec => ({
  name,
  type,
  required,
  default: null,
  description: null,
});

describe('paramForm', () => {
  it('mirrors the server checks: required, integral ints, numeric numbers', () => {
    const params = [
      p('a', 'int', true),
      p('b', 'int'),
      p('c', 'number'),
      p('d', 'number'),
      p('e', 'boolean', true),
    ];
    expect(validate(params, { a: '', b: '3.0', c: '1e-4', d: 'abc', e: false })).toEqual({
      a: 'required',
      b: 'must be an integer',
      d: 'must be a number',
    });
  });

  it('routes nested and bracketed param paths to the field, unknown ones to the banner', () => {
    const { fields, other } = routeServerErrors([p('base', 'checkpoint'), p('lr', 'number')], {
      errors: [
        { path: 'params.base.ref', message: 'not found' },
        { path: "params['lr']", message: 'must be > 0' },
        { path: 'params.unknown', message: 'unknown param' },
        { path: '', message: 'quota exceeded' },
      ],
    });
    expect(fields).toEqual({ base: 'not found', lr: 'must be > 0' });
    expect(other.map((e) => e.message)).toEqual(['unknown param', 'quota exceeded']);
  });
});
