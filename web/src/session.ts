import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api.js';

export interface SessionState {
  /** null: nobody signed in; undefined: not known yet. */
  session: Session | null | undefined;
  setSession(session: Session | null): void;
}

export const SessionContext = createContext<SessionState>({ session: undefined, setSession: () => {} });

export const useSession = () => useContext(SessionContext);

/** Whether the signed-in token may do what needs `scope` (admin ⊇ write ⊇ read). */
export function can(session: Session | null | undefined, scope: 'read' | 'write' | 'admin'): boolean {
  if (!session) return false;
  const has = (s: string) => session.scopes.includes(s as Session['scopes'][number]);
  return has('admin') || has(scope) || (scope === 'read' && has('write'));
}
