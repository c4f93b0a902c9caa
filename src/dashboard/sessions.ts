// The dashboard's logins: the start-up token or an Alonzo access key, exchanged for a session cookie (HttpOnly,
// SameSite=Strict, the dashboard's path only) and a CSRF token the page sends back on every state change.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/index.js';

export const COOKIE = 'alonzo_dashboard';
export const CSRF_HEADER = 'x-alonzo-csrf';
/** A session lasts 12 hours from its login. */
const SESSION_MS = 12 * 3600_000;
/** Sessions kept at once (the oldest goes first): logins cannot grow the map without bound. */
const MAX_SESSIONS = 1000;

export interface Session {
  id: string;
  csrf: string;
  /** The key that logged in; undefined for the start-up token, which is the server's own account with every right. */
  principal?: Principal;
  accountId: string;
  expires: number;
}

export const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class Sessions {
  private byId = new Map<string, Session>();

  constructor(
    /** What `alonzo serve` prints at start-up (a new one each start). */
    readonly token: string,
    private readonly now: () => number = Date.now,
  ) {}

  create(accountId: string, principal?: Principal): Session {
    const s: Session = { id: randomBytes(24).toString('base64url'), csrf: randomBytes(24).toString('base64url'), accountId, principal, expires: this.now() + SESSION_MS };
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
    this.byId.set(s.id, s);
    return s;
  }

  /** The session a request's cookie names, if it is live. */
  find(cookieHeader: string | undefined): Session | undefined {
    const id = cookieOf(cookieHeader, COOKIE);
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  end(s: Session): void {
    this.byId.delete(s.id);
  }
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i !== -1 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export const sessionCookie = (s: Session): string => `${COOKIE}=${s.id}; Path=/_alonzo/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
export const clearedCookie = `${COOKIE}=; Path=/_alonzo/; HttpOnly; SameSite=Strict; Max-Age=0`;
