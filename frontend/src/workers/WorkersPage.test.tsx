import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkerList } from '../api/types';
import { formatBytes } from '../common/format';
import { WorkersPage } from './WorkersPage';
import { BUSY_8X_H100, ERRORS_AND_NA } from './recordedFleet';

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
      gpus: [
        {
          index: 0,
          name: 'NVIDIA H100',
          uuid: 'GPU-1',
          memoryTotalBytes: 80 * 1024 ** 3,
          memoryUsedBytes: null,
          utilizationRatio: null,
          temperatureCelsius: null,
          leased: false,
          step: null,
        },
      ],
      gpusSampledAt: '2026-11-01T10:00:00Z',
      gpuProblems: [],
    },
    {
      id: 'gpu-7@box-2',
      pools: ['h100'],
      host: 'box-2',
      status: 'POLLING',
      lastHeartbeatAt: '2026-11-01T10:00:00Z',
      runningSteps: 0,
      gpus: [],
      gpusSampledAt: null,
      gpuProblems: [],
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
    expect(within(local).getByText(`— / ${formatBytes(80 * 1024 ** 3)}`)).toBeTruthy();
    expect(within(local).getByText('2 running steps')).toBeTruthy();
    expect(screen.queryByText(/NaN/)).toBeNull();
    expect(within(within(h100).getByRole('row', { name: /gpu-7/ })).getByText('CPU only')).toBeTruthy();
  });

  it('shows each GPU of a recorded busy 8×H100 box with its use and a link to the step it runs', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(BUSY_8X_H100)),
    );
    render(
      <MemoryRouter>
        <WorkersPage />
      </MemoryRouter>,
    );

    const gpu0 = await screen.findByRole('listitem', { name: 'GPU 0' });
    expect(within(gpu0).getByText('100% busy')).toBeTruthy();
    expect(
      within(gpu0).getByText(`${formatBytes(76214 * 1024 ** 2)} / ${formatBytes(81559 * 1024 ** 2)}`),
    ).toBeTruthy();
    expect(gpu0.textContent).toContain('68 °C');
    const link = within(gpu0).getByRole('link', { name: 'r-sft-42 / sft (attempt 1)' });
    expect(link.getAttribute('href')).toBe('/runs/r-sft-42?step=sft');
    expect(within(screen.getByRole('listitem', { name: 'GPU 3' })).getByText('97% busy')).toBeTruthy();
    expect(
      within(screen.getByRole('listitem', { name: 'GPU 4' })).getByText('leased to a run you cannot see'),
    ).toBeTruthy();
    const gpu7 = screen.getByRole('listitem', { name: 'GPU 7' });
    expect(within(gpu7).getByText('0% busy')).toBeTruthy();
    expect(within(gpu7).getByText('free')).toBeTruthy();
    expect(screen.getAllByRole('link', { name: /r-sft-42/ })).toHaveLength(4);
  });

  it('says what nvidia-smi could not read and shows unreported values as dashes, never 0 or NaN', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(ERRORS_AND_NA)),
    );
    render(
      <MemoryRouter>
        <WorkersPage />
      </MemoryRouter>,
    );

    expect((await screen.findByRole('alert')).textContent).toBe(
      'nvidia-smi: Unable to determine the device handle for GPU0000:2A:00.0: Unknown Error',
    );
    const gpu2 = screen.getByRole('listitem', { name: 'GPU 2' });
    expect(within(gpu2).getByText('— busy')).toBeTruthy();
    expect(gpu2.textContent).not.toContain('°C');
    const mig = screen.getByRole('listitem', { name: 'GPU 3' });
    expect(mig.textContent).toContain('NVIDIA A100-SXM4-40GB MIG 1g.5gb');
    expect(within(mig).getByText('— busy')).toBeTruthy();
    expect(screen.queryByText(/NaN/)).toBeNull();
  });
});
