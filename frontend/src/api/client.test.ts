import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, onUnauthorized, signIn } from './client';

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('api client', () => {
  it('sends the idempotency key and the CSRF header, never a token from storage', async () => {
    localStorage.setItem('trainyard.token', 'left-by-an-old-version');
    const fetchMock = vi.fn().mockResolvedValue(new Response(JSON.stringify({ id: 'r1' }), { status: 201 }));
    vi.stubGlobal('fetch', fetchMock);

    await api.launchRun({ template: 'hello', params: { n: 1 } }, 'key-1');

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/v1/runs');
    expect(init.method).toBe('POST');
    expect(init.headers.Authorization).toBeUndefined();
    expect(init.headers['X-Trainyard-CSRF']).toBe('1');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers['Idempotency-Key']).toBe('key-1');
    expect(JSON.parse(init.body)).toEqual({ template: 'hello', params: { n: 1 } });
  });

  it('signs in by trading the token for a session cookie, keeping no token in localStorage', async () => {
    const fetchMock = vi.fn().mockResolvedValue(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);

    await signIn('secret');

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/auth/session');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body)).toEqual({ token: 'secret' });
    // only the fact that this browser signed in (so a later 401 can say the session went stale)
    expect(Object.keys(localStorage)).toEqual(['trainyard.signedIn']);
    expect(Object.values(localStorage)).not.toContain('secret');
  });

  it('reads a template without a retention policy (204) as null, not as an error', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response(null, { status: 204 })));
    expect(await api.getRetention('demo')).toBeNull();
  });

  it('turns problem+json into an ApiError and announces 401s', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(
        new Response(JSON.stringify({ title: 'Unauthorized', status: 401 }), {
          status: 401,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
      ),
    );
    const listener = vi.fn();
    const off = onUnauthorized(listener);

    const err = await api.listRuns({ status: 'RUNNING', template: '' }).catch((e) => e);

    off();
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(err.message).toBe('Unauthorized');
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
