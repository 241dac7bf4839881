import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SpecValidation, StepKindCatalogue } from '../../api/catalogTypes';
import { TemplateEditorPage } from './TemplateEditorPage';

afterEach(() => vi.unstubAllGlobals());

// Answers arrive after the editor's typing pause; a busy test machine may take a while longer.
const SLOW = { timeout: 5000 };

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const VALID: SpecValidation = {
  valid: true,
  problems: [],
  name: 'two-steps',
  latestVersion: null,
  needsApproval: false,
  steps: [
    { id: 'make', kind: 'command', needs: [], dependsOn: [] },
    { id: 'use', kind: 'command', needs: [], dependsOn: ['make'] },
  ],
};
const BROKEN: SpecValidation = {
  valid: false,
  problems: [
    { path: 'steps[0].config.lr', message: 'must be > 0' },
    { path: 'steps[1].kind', message: "unknown step kind 'mrge'" },
  ],
  name: 'two-steps',
  latestVersion: null,
  needsApproval: false,
  steps: [{ id: 'make', kind: 'command', needs: [], dependsOn: [] }],
};
const KINDS: StepKindCatalogue = {
  dialect: 'https://json-schema.org/draft/2020-12/schema',
  pipeline: {},
  kinds: [
    {
      name: 'approval',
      description: 'Waits until a person approves or rejects the run.',
      execution: 'APPROVAL',
      outputs: [],
      cacheable: false,
      runsUserCode: false,
      failures: [],
      defaultAttempts: 1,
      example: '- id: sign-off\n  kind: approval\n  message: promote?\n',
      schema: {},
    },
  ],
};

interface Call {
  url: string;
  method: string;
  body: { spec?: string } | undefined;
}

/** A fake server: validation answers from `answer(spec)`; saving answers with the template's detail. */
function serve(answer: (spec: string) => SpecValidation) {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const body = init?.body ? (JSON.parse(String(init.body)) as { spec?: string }) : undefined;
      calls.push({ url, method: init?.method ?? 'GET', body });
      if (url === '/api/v1/step-kinds') return json(KINDS);
      if (url === '/api/v1/templates/validate') return json(answer(body?.spec ?? ''));
      if (url === '/api/v1/templates' && init?.method === 'POST') return json({ name: 'two-steps' }, 201);
      if (url === '/api/v1/templates/two-steps/versions') return json({ name: 'two-steps' }, 201);
      if (url === '/api/v1/templates/two-steps')
        return json({ name: 'two-steps', spec: 'name: two-steps\n', versions: [] });
      return json({ title: 'Not Found' }, 404);
    }),
  );
  return calls;
}

const validations = (calls: Call[]) => calls.filter((c) => c.url === '/api/v1/templates/validate');

function renderEditor(path = '/editor') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/editor" element={<TemplateEditorPage />} />
        <Route path="/editor/:name" element={<TemplateEditorPage />} />
        <Route path="/templates/:name" element={<p>template page</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

const type = (text: string) =>
  fireEvent.change(screen.getByLabelText('Spec YAML'), { target: { value: text } });

describe('TemplateEditor', () => {
  it('validates once per pause in typing, only the latest text, and shows every problem with its path', async () => {
    const calls = serve((spec) => (spec.includes('mrge') ? BROKEN : VALID));
    renderEditor();
    await waitFor(() => expect(validations(calls)).toHaveLength(1), SLOW); // the starter spec

    type('name: two-steps\nsteps:\n  - id: make');
    type('name: two-steps\nsteps:\n  - id: make\n    kind: command');
    type('name: two-steps\nsteps:\n  - id: make\n  - id: use\n    kind: mrge');
    expect(screen.getByRole('status', { name: 'Validation' }).textContent).toBe('Checking…');

    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Validation' }).textContent).toBe('2 problems'),
    );
    expect(validations(calls)).toHaveLength(2);
    expect(validations(calls)[1].body?.spec).toContain('kind: mrge');
    const problems = within(screen.getByRole('list', { name: 'Problems' })).getAllByRole('listitem');
    expect(problems.map((p) => p.textContent)).toEqual([
      'steps[0].config.lr: must be > 0',
      "steps[1].kind: unknown step kind 'mrge'",
    ]);
    expect((screen.getByRole('button', { name: 'Create template' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });

  it('shows the step graph of a valid spec and saves it as a new template', async () => {
    const calls = serve(() => VALID);
    renderEditor();
    await waitFor(
      () => expect(screen.getByRole('status', { name: 'Validation' }).textContent).toBe('Valid'),
      SLOW,
    );
    const graph = screen.getByRole('group', { name: 'Editor step graph' });
    expect(within(graph).getByTestId('graph-node-make')).toBeTruthy();
    expect(within(graph).getByTestId('graph-node-use')).toBeTruthy();

    const save = screen.getByRole('button', { name: 'Create template' }) as HTMLButtonElement;
    expect(save.disabled).toBe(false);
    fireEvent.click(save);
    expect(await screen.findByText('template page', {}, SLOW)).toBeTruthy();
    const posted = calls.find((c) => c.url === '/api/v1/templates' && c.method === 'POST');
    expect(posted?.body?.spec).toContain('kind: Pipeline');
  });

  it("saves an existing template's edit as its next version", async () => {
    const calls = serve(() => ({ ...VALID, latestVersion: 2 }));
    renderEditor('/editor/two-steps');
    const save = await screen.findByRole('button', { name: 'Save as version 3' }, SLOW);
    await waitFor(() => expect((save as HTMLButtonElement).disabled).toBe(false), SLOW);
    fireEvent.click(save);
    expect(await screen.findByText('template page', {}, SLOW)).toBeTruthy();
    expect(calls.find((c) => c.url === '/api/v1/templates/two-steps/versions')?.body?.spec).toBe(
      'name: two-steps\n',
    );
  });

  it("adds a kind's example step from the catalogue", async () => {
    serve(() => VALID);
    renderEditor();
    const picker = await screen.findByRole('combobox', { name: 'Add a step of kind' }, SLOW);
    fireEvent.change(picker, { target: { value: 'approval' } });
    expect((screen.getByLabelText('Spec YAML') as HTMLTextAreaElement).value).toContain(
      '  - id: sign-off\n    kind: approval\n    message: promote?\n',
    );
  });

  it("shows the server's field errors when saving fails", async () => {
    serve(() => VALID);
    vi.mocked(fetch).mockImplementation(async (url, init) => {
      if (url === '/api/v1/templates/validate') return json(VALID);
      if (url === '/api/v1/templates' && init?.method === 'POST')
        return json(
          {
            title: 'Conflict',
            detail: "template 'two-steps' exists",
            errors: [{ path: 'name', message: 'taken' }],
          },
          409,
        );
      return json(KINDS);
    });
    renderEditor();
    const save = await screen.findByRole('button', { name: 'Create template' }, SLOW);
    await waitFor(() => expect((save as HTMLButtonElement).disabled).toBe(false), SLOW);
    fireEvent.click(save);
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toContain("template 'two-steps' exists"),
    );
    expect(
      within(screen.getByRole('list', { name: 'Save problems' })).getByRole('listitem').textContent,
    ).toBe('name: taken');
  });
});
