// The template editor in a real Chromium against the real backend: problems while typing, the step
// graph, then saving a new template and its next version.
import { expect, test } from '@playwright/test';

const SHOTS = process.env.SCREENSHOT_DIR ?? '../docs/screenshots';
const TOKEN = process.env.E2E_TOKEN ?? '';

test.beforeEach(async ({ context }) => {
  await context.addInitScript((token) => {
    if (token) localStorage.setItem('trainyard.token', token);
  }, TOKEN);
});

const spec = (name: string, secondKind: string) => `apiVersion: trainyard/v1
kind: Pipeline
name: ${name}
params:
  greeting: {type: string, default: hi}
steps:
  - id: greet
    kind: command
    run: echo "$TRAINYARD_PARAM_GREETING" > "$TRAINYARD_OUTPUT/greeting.txt"
  - id: shout
    kind: ${secondKind}
    inputs: {greeting: "\${{ steps.greet.outputs.output }}"}
    run: tr a-z A-Z < "$TRAINYARD_INPUT_GREETING/greeting.txt" > "$TRAINYARD_OUTPUT/loud.txt"
    timeout: 0
`;

test('write a template in the editor: every problem with its path as you type, the graph, then save', async ({
  page,
  request,
}) => {
  const name = `edited-${Date.now()}`;
  await page.goto('/templates');
  await page.getByRole('link', { name: 'New template' }).click();
  await expect(page.getByRole('heading', { name: 'New template' })).toBeVisible();

  const editor = page.getByRole('textbox', { name: 'Spec YAML' });
  await editor.fill(spec(name, 'comand'));
  const problems = page.getByRole('list', { name: 'Problems' });
  await expect(problems).toContainText("steps[1].kind: unknown step kind 'comand'");
  await expect(page.getByRole('button', { name: 'Create template' })).toBeDisabled();

  await editor.fill(spec(name, 'command'));
  await expect(problems).toContainText('steps[1].timeout: must be > 0');
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('1 problem');
  // Nothing was saved by validating.
  expect((await request.get(`/api/v1/templates/${name}`)).status()).toBe(404);

  await editor.fill(spec(name, 'command').replace('    timeout: 0\n', '    timeout: 10m\n'));
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('Valid');
  const graph = page.getByRole('group', { name: 'Editor step graph' });
  await expect(graph.getByTestId('graph-node-greet')).toBeVisible();
  await expect(graph.getByTestId('graph-node-shout')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/template-editor.png` });

  await page.getByRole('button', { name: 'Create template' }).click();
  await page.waitForURL(`**/templates/${name}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);

  // Edit it again: the editor starts from the saved spec and saves version 2.
  await page.getByRole('link', { name: 'Edit as a new version' }).click();
  // The template page shows its spec under the same label; wait for the editor's own heading first.
  await expect(page.getByRole('heading', { name: `Edit ${name}` })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Spec YAML' })).toHaveValue(/id: shout/);
  await page
    .getByRole('textbox', { name: 'Spec YAML' })
    .fill(spec(name, 'command').replace('    timeout: 0\n', '    timeout: 20m\n'));
  await page.getByRole('button', { name: 'Save as version 2' }).click();
  await page.waitForURL(`**/templates/${name}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('v2');
});
