import { useEffect, useState, type FormEvent } from 'react';
import type { AuthConfig } from '../api/types';

/**
 * Shown after a 401. Team mode: a link to the server's sign-in path, which sends the browser through
 * Keycloak's login page and back with a session cookie. Local mode: the server prints a token at
 * start; paste it once and the server answers with an HttpOnly session cookie for this browser.
 */
export function SignIn({
  onToken,
  error,
  stale = false,
}: {
  onToken: (token: string) => void;
  error?: string | null;
  /** This browser was signed in and the server no longer accepts its session. */
  stale?: boolean;
}) {
  const [token, setToken] = useState('');
  const [config, setConfig] = useState<AuthConfig | null>(null);
  useEffect(() => {
    fetch('/auth/config', { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : { mode: 'local', signIn: null, signOut: null }))
      .then((c: AuthConfig) => setConfig(c))
      .catch(() => setConfig({ mode: 'local', signIn: null, signOut: null }));
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  if (config?.mode === 'oidc') {
    return (
      <section className="sign-in">
        <h1>Sign in</h1>
        <p>This Trainyard signs you in with your organisation's account (Keycloak).</p>
        <a className="button-link primary" href={config.signIn ?? '/login'}>
          Sign in with Keycloak
        </a>
      </section>
    );
  }
  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      {stale && (
        <div className="banner banner-warn" role="status" data-testid="session-stale">
          Your session is no longer valid: the server restarted with a new token, or this browser was signed
          out. Sign in again with the token it printed at start.
        </div>
      )}
      <p>
        The server asked for a token. In local mode, Trainyard prints one to its console when it starts (
        <code>Dashboard token: …</code>). Paste it here; this browser then holds a session cookie that page
        scripts cannot read.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        <button type="submit" className="primary" disabled={!token.trim()}>
          Sign in
        </button>
        {error && <p role="alert">{error}</p>}
      </form>
    </section>
  );
}
