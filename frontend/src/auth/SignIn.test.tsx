import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignIn } from './SignIn';

afterEach(() => vi.unstubAllGlobals());

const config = (body: unknown) =>
  vi.fn(
    async () =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }),
  );

describe('SignIn', () => {
  it('in team mode sends the browser to the server sign-in path (Keycloak)', async () => {
    vi.stubGlobal('fetch', config({ mode: 'oidc', signIn: '/login' }));
    render(<SignIn onToken={() => {}} />);
    const link = await screen.findByRole('link', { name: 'Sign in with Keycloak' });
    expect(link.getAttribute('href')).toBe('/login');
    expect(screen.queryByLabelText('Token')).toBeNull();
  });

  it('in local mode takes the printed token', async () => {
    vi.stubGlobal('fetch', config({ mode: 'local' }));
    const onToken = vi.fn();
    render(<SignIn onToken={onToken} />);
    fireEvent.change(screen.getByLabelText('Token'), { target: { value: ' abc ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onToken).toHaveBeenCalledWith('abc');
    expect(screen.queryByRole('link', { name: 'Sign in with Keycloak' })).toBeNull();
  });
});
