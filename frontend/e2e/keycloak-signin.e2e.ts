// Team mode: sign in through Keycloak's own login page, then launch a run from the form.
// infra/scripts/e2e-keycloak-signin.sh starts the app in OIDC mode and sets the E2E_KEYCLOAK_* variables.
import { expect, test } from '@playwright/test';

const USER = process.env.E2E_KEYCLOAK_USER ?? '';
const PASSWORD = process.env.E2E_KEYCLOAK_PASSWORD ?? '';
const TEMPLATE = process.env.E2E_TEMPLATE ?? '';
const SHOTS = process.env.SCREENSHOT_DIR;

test.skip(!USER, 'team mode only: run by infra/scripts/e2e-keycloak-signin.sh');

test('sign in through the Keycloak login page and launch a run as that user', async ({ page, baseURL }) => {
  await page.goto('/runs');
  // No session yet: the API answers 401 and the dashboard offers Keycloak.
  await page.getByRole('link', { name: 'Sign in with Keycloak' }).click();
  await page.waitForURL(/\/realms\/trainyard\/protocol\/openid-connect\/auth/);
  expect(new URL(page.url()).searchParams.get('code_challenge_method')).toBe('S256');
  await page.locator('#username').fill(USER);
  await page.locator('#password').fill(PASSWORD);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/keycloak-sign-in.png` });
  await page.locator('#kc-login').click();
  await page.waitForURL((url) => url.origin === new URL(baseURL!).origin && url.pathname === '/runs');

  await page.goto(`/templates/${TEMPLATE}`);
  await page.locator('#param-greeting').fill('signed in with keycloak');
  await page.getByRole('button', { name: 'Launch run' }).click();
  await page.waitForURL(/\/runs\/[^/?]+/);
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  await expect(page.getByRole('heading', { level: 1 }).getByTestId('status-badge')).toHaveText('SUCCEEDED', {
    timeout: 90_000,
  });

  // The session cookie is the browser's credential: the run belongs to the user who signed in.
  const run = await (await page.request.get(`/api/v1/runs/${encodeURIComponent(id)}`)).json();
  expect(run.launchedBy).toBe(USER);
  expect(run.params.greeting).toBe('signed in with keycloak');
});
