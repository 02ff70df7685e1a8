import { call, type CallOptions, type Me, type Tokens } from './api';
import { tokenSession } from './tokens';

/**
 * The partner's session. The access and ID tokens live in memory only; the refresh token is kept
 * in sessionStorage (this tab, until it closes), so a reload does not sign the partner out.
 * Nothing is ever written to localStorage.
 */
export const session = $state<{ signedIn: boolean; me: Me | null }>({ signedIn: false, me: null });

const tokens = tokenSession({
	key: 'portal.partner.refresh',
	refreshPath: '/sessions/refresh',
	revokePath: '/sessions/revoke',
	pick: (t) => t.access_token,
	kept: () => {
		session.signedIn = true;
	},
	forgotten: () => {
		session.signedIn = false;
		session.me = null;
	}
});

/** POST /sessions: signs in and keeps the tokens. */
export async function signIn(email: string, password: string): Promise<void> {
	tokens.keep(await call<Tokens>('POST', '/sessions', { body: { email, password } }));
	session.me = null;
}

/** Sign-out: forgets every token of this tab at once and revokes the refresh token (POST /sessions/revoke). */
export function signOut(): Promise<void> {
	return tokens.signOut();
}

/** True when a usable access token is held (refreshing it when it expired or after a reload). */
export function ensureSession(): Promise<boolean> {
	return tokens.ensure();
}

/** A call with the partner's access token; on 401 it refreshes once and tries again. */
export function authed<T>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
	return tokens.call<T>(method, path, options);
}

/** GET /me, remembered for the session. */
export async function loadMe(force = false): Promise<Me> {
	if (session.me && !force) return session.me;
	const me = await authed<Me>('GET', '/me');
	session.me = me;
	return me;
}
