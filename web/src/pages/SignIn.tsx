import { useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';

/** Sign in with an API token (made with `npm run cli -- tokens create <name> --scopes write`). */
export function SignIn({ next }: { next: string }) {
  const { setSession } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  return (
    <main id="main" class="narrow">
      <h1>Sign in</h1>
      <p>Reading public topics needs no sign-in; writing does. Sign in with an API token.</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError('');
          try {
            const { session } = await api<{ session: Session }>('POST', '/api/v1/session', { token });
            setSession(session);
            navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
          } catch (err) {
            setError(err instanceof ApiError ? err.message : String(err));
          }
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Sign in</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
