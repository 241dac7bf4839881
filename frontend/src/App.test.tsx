import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { Run } from './api/types';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  localStorage.clear();
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const RUN: Run = {
  id: 'r-1',
  template: 'gated',
  templateVersion: 2,
  status: 'RUNNING',
  createdAt: '2025-01-01T00:00:00Z',
  startedAt: '2025-01-01T00:00:01Z',
  finishedAt: null,
  launchedBy: 'local',
  params: { lr: 0.001 },
  error: null,
  steps: [
    {
      id: 'train',
      kind: 'sft',
      status: 'SUCCEEDED',
      needs: [],
      attempts: [
        { attempt: 1, status: 'SUCCEEDED', worker: 'gpu-0', startedAt: '2025-01-01T00:00:01Z', finishedAt: '2025-01-01T00:01:00Z', error: null },
      ],
      outputs: { model: { artifactId: 'sha256:abcdef0123456789abcdef' } },
    },
    { id: 'gate', kind: 'approval', status: 'WAITING_APPROVAL', needs: ['train'], attempts: [], outputs: {} },
  ],
};

describe('App', () => {
  it('asks for the token on 401, stores it and retries with it', async () => {
    const fetchMock = vi.fn(async (_url: string, init: RequestInit) => {
      const auth = (init.headers as Record<string, string>).Authorization;
      return auth === 'Bearer tok' ? json({ items: [] }) : json({ title: 'Unauthorized' }, 401);
    });
    vi.stubGlobal('fetch', fetchMock);
    render(
      <MemoryRouter initialEntries={['/templates']}>
        <App />
      </MemoryRouter>,
    );

    fireEvent.change(await screen.findByLabelText('Token'), { target: { value: 'tok' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('No templates registered yet.')).toBeTruthy();
    expect(localStorage.getItem('trainyard.token')).toBe('tok');
  });

  it('shows a run with its steps, output links and approves a waiting step', async () => {
    const approved: Run = { ...RUN, steps: [RUN.steps[0], { ...RUN.steps[1], status: 'SUCCEEDED' }] };
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/v1/runs/r-1/steps/gate/approve' && init.method === 'POST') return json(approved, 202);
      if (url === '/api/v1/runs/r-1') return json(RUN);
      return json({ title: 'Not found' }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(
      <MemoryRouter initialEntries={['/runs/r-1']}>
        <App />
      </MemoryRouter>,
    );

    const link = await screen.findByRole('link', { name: 'abcdef012345…' });
    expect(link.getAttribute('href')).toBe('/artifacts/sha256%3Aabcdef0123456789abcdef');
    expect(screen.getByText('gpu-0', { exact: false })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));

    expect(await screen.findByText('Step gate approved.')).toBeTruthy();
    expect(window.confirm).toHaveBeenCalledWith('Approve step gate?');
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull());
  });
});
