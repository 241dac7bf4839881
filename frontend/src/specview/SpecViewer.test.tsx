import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TemplateDetail } from '../api/types';
import { TemplateDetailPage } from '../templates/TemplateDetailPage';
import { SpecViewer } from './SpecViewer';

afterEach(() => vi.unstubAllGlobals());

const SPEC_V2 = `name: hello
steps:
  - id: greet
    kind: command
    run: echo hi
  - id: shard
    kind: command
    run: cat \${{ steps.greet.outputs.output }}
  - id: join
    kind: command
    run: cat \${{ steps.shard.outputs.output }}
`;
const STEPS = [
  { id: 'greet', kind: 'command', needs: [], dependsOn: [] },
  { id: 'shard', kind: 'command', needs: [], dependsOn: ['greet'] },
  { id: 'join', kind: 'command', needs: [], dependsOn: ['shard'] },
];

const DETAIL: TemplateDetail = {
  name: 'hello',
  description: null,
  team: null,
  approved: true,
  latestVersion: 2,
  version: 2,
  versions: [
    {
      version: 1,
      createdAt: '2026-11-01T00:00:00Z',
      createdBy: 'ana',
      specSha256: 'a'.repeat(64),
      approved: true,
      approvedBy: null,
    },
    {
      version: 2,
      createdAt: '2026-11-02T00:00:00Z',
      createdBy: 'ana',
      specSha256: 'b'.repeat(64),
      approved: true,
      approvedBy: null,
    },
  ],
  spec: SPEC_V2,
  params: [],
  steps: STEPS,
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const highlighted = () =>
  Array.from(screen.getByLabelText('Spec YAML').querySelectorAll('.spec-line-selected')).map(
    (l) => l.textContent,
  );

describe('SpecViewer', () => {
  // jsdom cannot measure React Flow's handles, so edges are not drawn here: the step table states them,
  // and specGraph.test.ts checks the edges the graph is given.
  it('shows the step graph with dependencies implied by output bindings, next to the YAML', () => {
    render(<SpecViewer spec={SPEC_V2} steps={STEPS.map((s) => ({ ...s, dependsOn: [] }))} />);

    const graph = screen.getByRole('group', { name: 'Template step graph' });
    expect(within(graph).getByTestId('graph-node-greet')).toBeTruthy();
    expect(within(graph).getByTestId('graph-node-join')).toBeTruthy();
    // No `needs:` anywhere, yet each binding is a dependency.
    const rows = within(screen.getByRole('table', { name: 'Steps' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      'greetcommand—',
      'shardcommandgreet',
      'joincommandshard',
    ]);
    expect(screen.getByLabelText('Spec YAML').textContent).toContain('- id: shard');
  });

  it('highlights the YAML block of the step selected from the keyboard or the graph', () => {
    render(<SpecViewer spec={SPEC_V2} steps={STEPS} />);
    expect(highlighted()).toEqual([]);

    const shard = screen.getByRole('button', { name: 'shard' });
    shard.focus();
    fireEvent.click(shard);
    expect(shard.getAttribute('aria-pressed')).toBe('true');
    expect(highlighted()).toEqual([
      '  - id: shard',
      '    kind: command',
      '    run: cat ${{ steps.greet.outputs.output }}',
    ]);
    expect(screen.getByTestId('graph-node-shard').className).toContain('highlight');

    fireEvent.click(screen.getByTestId('graph-node-join'));
    expect(highlighted()[0]).toBe('  - id: join');

    fireEvent.click(screen.getByRole('button', { name: 'join' }));
    expect(highlighted()).toEqual([]);
  });

  it('says so when a template has no steps', () => {
    render(<SpecViewer spec="name: empty" steps={[]} />);
    expect(screen.getByText('No steps.')).toBeTruthy();
  });
});

describe('TemplateDetailPage spec section', () => {
  const renderPage = () =>
    render(
      <MemoryRouter initialEntries={['/templates/hello']}>
        <Routes>
          <Route path="/templates/:name" element={<TemplateDetailPage />} />
        </Routes>
      </MemoryRouter>,
    );

  it('switches the viewer to an older version', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url === '/api/v1/templates/hello') return json(DETAIL);
        if (url === '/api/v1/templates/hello/versions/1')
          return json({
            ...DETAIL,
            version: 1,
            spec: 'name: hello\nsteps:\n  - id: only\n    kind: command\n',
            steps: [{ id: 'only', kind: 'command', needs: [] }],
          });
        return json({}, 404);
      }),
    );
    renderPage();
    expect(await screen.findByTestId('graph-node-join')).toBeTruthy();

    fireEvent.change(screen.getByRole('combobox', { name: 'Spec version' }), { target: { value: '1' } });
    expect(await screen.findByTestId('graph-node-only')).toBeTruthy();
    expect(screen.queryByTestId('graph-node-join')).toBeNull();
    expect(screen.getByLabelText('Spec YAML').textContent).toContain('- id: only');
  });

  it('shows an error when an older version cannot be loaded', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/v1/templates/hello' ? json(DETAIL) : json({ title: 'Not Found', detail: 'gone' }, 404),
      ),
    );
    renderPage();
    await screen.findByTestId('graph-node-join');
    fireEvent.change(screen.getByRole('combobox', { name: 'Spec version' }), { target: { value: '1' } });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Could not load version 1'));
  });
});
