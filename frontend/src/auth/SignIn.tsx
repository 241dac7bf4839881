import { useState, type FormEvent } from 'react';

/** Local mode: the server prints a token at start; paste it once, it is kept in this browser. */
export function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      <p>
        The server asked for a token. In local mode, Trainyard prints one to its console when it starts
        (<code>Dashboard token: …</code>). Paste it here; it is stored in this browser only.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        <button type="submit" className="primary" disabled={!token.trim()}>
          Sign in
        </button>
      </form>
    </section>
  );
}
