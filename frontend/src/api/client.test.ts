import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, onUnauthorized, setToken, TOKEN_KEY } from './client';

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('api client', () => {
  it('sends the stored token and the idempotency key', async () => {
    const fetchMock = vi.fn().mockResolvedValue(new Response(JSON.stringify({ id: 'r1' }), { status: 201 }));
    vi.stubGlobal('fetch', fetchMock);
    setToken('secret');

    await api.launchRun({ template: 'hello', params: { n: 1 } }, 'key-1');

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/v1/runs');
    expect(init.method).toBe('POST');
    expect(init.headers.Authorization).toBe('Bearer secret');
    expect(init.headers['Idempotency-Key']).toBe('key-1');
    expect(JSON.parse(init.body)).toEqual({ template: 'hello', params: { n: 1 } });
    expect(localStorage.getItem(TOKEN_KEY)).toBe('secret');
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
