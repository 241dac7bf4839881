import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { ParamSpec } from '../api/types';
import { LaunchForm } from './LaunchForm';

const PARAMS: ParamSpec[] = [
  { name: 'base', type: 'checkpoint', required: true, default: null, description: 'model to start from' },
  { name: 'corpus', type: 'dataset', required: true, default: 'wiki-small', description: null },
  { name: 'run_name', type: 'string', required: false, default: 'cpt', description: null },
  { name: 'max_steps', type: 'int', required: true, default: 2000, description: null },
  { name: 'lr', type: 'number', required: false, default: 0.0001, description: null },
  { name: 'dry_run', type: 'boolean', required: false, default: true, description: null },
];

const input = (name: string) => screen.getByLabelText(new RegExp(`^${name}`)) as HTMLInputElement;
const fieldError = (name: string) =>
  screen.getByTestId(`field-${name}`).querySelector('.field-error')?.textContent;

describe('LaunchForm', () => {
  it('renders an input per param, typed, with defaults and required marks', () => {
    render(<LaunchForm params={PARAMS} onSubmit={vi.fn()} />);

    expect(input('base').type).toBe('text');
    expect(input('base').placeholder).toBe('alias, name or sha256');
    expect(input('base').value).toBe('');
    expect(input('corpus').type).toBe('text');
    expect(input('corpus').value).toBe('wiki-small');
    expect(input('run_name').type).toBe('text');
    expect(input('max_steps').type).toBe('number');
    expect(input('max_steps').value).toBe('2000');
    expect(input('lr').type).toBe('number');
    expect(input('lr').value).toBe('0.0001');
    expect(input('dry_run').type).toBe('checkbox');
    expect(input('dry_run').checked).toBe(true);

    expect(screen.getByTestId('field-base').querySelector('.required')).not.toBeNull();
    expect(screen.getByTestId('field-max_steps').querySelector('.required')).not.toBeNull();
    expect(screen.getByTestId('field-lr').querySelector('.required')).toBeNull();
    expect(screen.getByTestId('field-base').textContent).toContain('alias, name or sha256');
  });

  it('shows client-side errors next to the fields and does not submit', async () => {
    const onSubmit = vi.fn();
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(input('max_steps'), { target: { value: '12.5' } });
    fireEvent.change(input('corpus'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));

    expect(fieldError('base')).toBe('required');
    expect(fieldError('corpus')).toBe('required');
    expect(fieldError('max_steps')).toBe('must be an integer');
    expect(fieldError('lr')).toBeUndefined();
    expect(input('base').getAttribute('aria-invalid')).toBe('true');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('submits typed values, leaving blank optional fields to the server default', async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(input('base'), { target: { value: 'production' } });
    fireEvent.change(input('lr'), { target: { value: '' } });
    fireEvent.click(input('dry_run'));
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));

    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith({
      base: 'production',
      corpus: 'wiki-small',
      run_name: 'cpt',
      max_steps: 2000,
      dry_run: false,
    });
  });

  it('shows server errors at the field they concern and the rest in a banner', async () => {
    const onSubmit = vi.fn().mockRejectedValue(
      new ApiError(422, {
        title: 'Invalid launch request',
        status: 422,
        errors: [
          { path: 'params.base', message: 'no checkpoint named "production"' },
          { path: 'params.max_steps', message: 'must be > 0' },
          { path: 'steps[1].config.lr', message: 'must be > 0' },
        ],
      }),
    );
    // The checkpoint picker searches as the field changes: answered (nothing found), so only the
    // launch's errors are under test, however the debounce and the submit interleave.
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ items: [] }), { status: 200 })),
    );
    render(<LaunchForm params={PARAMS} onSubmit={onSubmit} />);

    fireEvent.change(input('base'), { target: { value: 'production' } });
    fireEvent.click(screen.getByRole('button', { name: 'Launch run' }));

    await waitFor(() => expect(fieldError('base')).toBe('no checkpoint named "production"'));
    expect(fieldError('max_steps')).toBe('must be > 0');
    const banner = screen.getByText('Invalid launch request').closest('.banner') as HTMLElement;
    expect(banner.textContent).toContain('steps[1].config.lr: must be > 0');
    expect(banner.textContent).not.toContain('params.base');
    vi.unstubAllGlobals();
  });
});
