import { describe, expect, it } from 'vitest';
import type { SpecValidation } from '../../api/catalogTypes';
import { appendStep, saveTarget, STARTER_SPEC } from './editorModel';

const valid: SpecValidation = {
  valid: true,
  problems: [],
  name: 'p',
  latestVersion: null,
  needsApproval: false,
  steps: [],
};

describe('saveTarget', () => {
  it('creates a new template, adds the next version of a known one, and saves nothing invalid', () => {
    expect(saveTarget(valid)).toEqual({ kind: 'create', name: 'p' });
    expect(saveTarget({ ...valid, latestVersion: 4 })).toEqual({ kind: 'version', name: 'p', version: 5 });
    expect(
      saveTarget({ ...valid, valid: false, problems: [{ path: 'name', message: 'required' }] }),
    ).toBeNull();
    expect(saveTarget({ ...valid, name: null })).toBeNull();
  });
});

describe('appendStep', () => {
  const example = '- id: sign-off\n  kind: approval\n  message: ok?\n';

  it("indents a kind's example as the spec's steps are, under steps:", () => {
    expect(appendStep(STARTER_SPEC, example)).toBe(
      STARTER_SPEC + '  - id: sign-off\n    kind: approval\n    message: ok?\n',
    );
  });

  it('adds steps: when the spec has none yet', () => {
    expect(appendStep('name: x', example)).toBe(
      'name: x\nsteps:\n  - id: sign-off\n    kind: approval\n    message: ok?\n',
    );
  });
});
