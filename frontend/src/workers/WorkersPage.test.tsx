import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkerList } from '../api/types';
import { formatBytes } from '../common/format';
import { WorkersPage } from './WorkersPage';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

// What GET /api/v1/workers answers (WorkerView in docs/openapi.json): pools is a list, GPUs carry their memory.
const FLEET: WorkerList = {
  items: [
    {
      id: 'local',
      pools: ['default', 'h100'],
      host: 'box-1',
      status: 'BUSY',
      lastHeartbeatAt: '2026-11-01T10:00:00Z',
      runningSteps: 2,
      gpus: [{ index: 0, name: 'NVIDIA H100', memoryTotalBytes: 80 * 1024 ** 3 }],
    },
    {
      id: 'gpu-7@box-2',
      pools: ['h100'],
      host: 'box-2',
      status: 'POLLING',
      lastHeartbeatAt: '2026-11-01T10:00:00Z',
      runningSteps: 0,
      gpus: [],
    },
  ],
};

describe('WorkersPage', () => {
  it('lists a worker under each pool it polls, with its GPUs and running steps', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(FLEET)),
    );
    render(
      <MemoryRouter>
        <WorkersPage />
      </MemoryRouter>,
    );

    const h100 = await screen.findByRole('table', { name: 'Workers in h100' });
    expect(within(h100).getAllByRole('row')).toHaveLength(3); // header + two workers
    const local = within(screen.getByRole('table', { name: 'Workers in default' })).getByRole('row', {
      name: /local/,
    });
    expect(within(local).getByText(`GPU 0 NVIDIA H100 · ${formatBytes(80 * 1024 ** 3)}`)).toBeTruthy();
    expect(within(local).getByText('2 running steps')).toBeTruthy();
    expect(screen.queryByText(/NaN/)).toBeNull();
    expect(within(within(h100).getByRole('row', { name: /gpu-7/ })).getByText('CPU only')).toBeTruthy();
  });
});
