import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetentionPanel } from './RetentionPanel';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' },
  });

const POLICY = {
  template: 'demo',
  keepLastIntermediate: 1,
  keepLastFinals: null,
  updatedAt: '2026-11-27T00:00:00Z',
  updatedBy: 'admin',
};
const PLAN = {
  template: 'demo',
  policy: POLICY,
  dryRun: true,
  decisions: [
    {
      artifactId: 'a'.repeat(64),
      runId: 'run-1',
      stepId: 'sft',
      output: 'model',
      sizeBytes: 2048,
      createdAt: '2026-11-27T00:00:00Z',
      finalOutput: false,
      action: 'DELETE',
      reason: 'intermediate checkpoint older than the 1 newest',
    },
    {
      artifactId: 'b'.repeat(64),
      runId: 'run-2',
      stepId: 'merge',
      output: 'model',
      sizeBytes: 4096,
      createdAt: '2026-11-27T00:00:00Z',
      finalOutput: true,
      action: 'KEEP',
      reason: "alias 'prod' points at it",
    },
  ],
  resumeStates: [],
  bytesToFree: 2048,
  errors: [],
};

function renderPanel() {
  return render(
    <MemoryRouter>
      <RetentionPanel template="demo" />
    </MemoryRouter>,
  );
}

describe('RetentionPanel', () => {
  it('says every checkpoint is kept when the template has no policy', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ title: 'Not Found', status: 404, detail: 'no policy' }, 404)),
    );
    renderPanel();
    expect(await screen.findByText('No retention policy: every checkpoint is kept.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Apply now' })).toBeNull();
  });

  it('previews what the policy would delete, with the reason for each checkpoint', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => json(url.endsWith('/plan') ? PLAN : POLICY)),
    );
    renderPanel();
    expect(
      await screen.findByText(/Keeps the 1 newest intermediate checkpoints and every final checkpoint/),
    ).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Preview (dry run)' }));
    const report = await screen.findByRole('status', { name: 'Dry run' });
    expect(report.textContent).toContain('Dry run: would delete 1 of 2 checkpoints');
    expect(screen.getByText("alias 'prod' points at it")).toBeTruthy();
    expect(screen.getByText('delete').className).toContain('danger-text');
  });

  it('asks before applying, then shows what was deleted', async () => {
    const fetch = vi.fn(async (url: string, init?: RequestInit) =>
      json(url.endsWith('/apply') && init?.method === 'POST' ? { ...PLAN, dryRun: false } : POLICY),
    );
    vi.stubGlobal('fetch', fetch);
    renderPanel();
    fireEvent.click(await screen.findByRole('button', { name: 'Apply now' }));
    expect(fetch.mock.calls.some(([u]) => String(u).endsWith('/apply'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect((await screen.findByRole('status', { name: 'Retention applied' })).textContent).toContain(
      'Deleted 1 of 2',
    );
  });

  it("shows the server's field errors at the policy inputs", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init?: RequestInit) =>
        init?.method === 'PUT'
          ? json(
              {
                title: 'Invalid',
                status: 422,
                errors: [{ path: 'keepLastFinals', message: 'must be 0 or more' }],
              },
              422,
            )
          : json(POLICY),
      ),
    );
    renderPanel();
    fireEvent.click(await screen.findByRole('button', { name: 'Change policy' }));
    fireEvent.change(screen.getByLabelText('Newest intermediate checkpoints to keep'), {
      target: { value: 'x' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('a whole number, 0 or more')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Newest intermediate checkpoints to keep'), {
      target: { value: '3' },
    });
    fireEvent.change(screen.getByLabelText('Newest final checkpoints to keep (empty: all)'), {
      target: { value: '5' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(screen.getByText('must be 0 or more')).toBeTruthy());
  });
});
