import { ApiError, call, type CallOptions, type Me, type Tokens } from './api';

/**
 * The partner's session. The access and ID tokens live in memory only; the refresh token is kept
 * in sessionStorage (this tab, until it closes), so a reload does not sign the partner out.
 * Nothing is ever written to localStorage.
 */
const REFRESH_KEY = 'portal.partner.refresh';

interface Held {
	access: string;
	expiresAt: number;
}

let held: Held | null = null;
let restoring: Promise<boolean> | null = null;

export const session = $state<{ signedIn: boolean; me: Me | null }>({ signedIn: false, me: null });

function storedRefresh(): string | null {
	try {
		return sessionStorage.getItem(REFRESH_KEY);
	} catch {
		return null;
	}
}

function keep(tokens: Tokens) {
	held = { access: tokens.access_token, expiresAt: Date.now() + (tokens.expires_in - 30) * 1000 };
	if (tokens.refresh_token) {
		try {
			sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
		} catch {
			// private mode: the session lasts as long as the page
		}
	}
	session.signedIn = true;
}

/** POST /sessions: signs in and keeps the tokens. */
export async function signIn(email: string, password: string): Promise<void> {
	const tokens = await call<Tokens>('POST', '/sessions', { body: { email, password } });
	keep(tokens);
	session.me = null;
}

/** Forgets every token of this tab. */
export function signOut(): void {
	held = null;
	try {
		sessionStorage.removeItem(REFRESH_KEY);
	} catch {
		// nothing stored
	}
	session.signedIn = false;
	session.me = null;
}

/** A fresh access token from the stored refresh token; false when there is none or it failed. */
async function refresh(): Promise<boolean> {
	const refreshToken = storedRefresh();
	if (!refreshToken) return false;
	try {
		const tokens = await call<Tokens>('POST', '/sessions/refresh', { body: { refresh_token: refreshToken } });
		keep(tokens);
		return true;
	} catch (e) {
		if (e instanceof ApiError && e.status !== 0) signOut();
		return false;
	}
}

/** True when a usable access token is held (refreshing it when it expired or after a reload). */
export async function ensureSession(): Promise<boolean> {
	if (held && held.expiresAt > Date.now()) return true;
	restoring ??= refresh().finally(() => {
		restoring = null;
	});
	return restoring;
}

/** A call with the partner's access token; on 401 it refreshes once and tries again. */
export async function authed<T>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
	if (!(await ensureSession())) throw notSignedIn();
	try {
		return await call<T>(method, path, { ...options, token: accessToken() });
	} catch (e) {
		if (!(e instanceof ApiError) || e.status !== 401) throw e;
		held = null;
		if (!(await ensureSession())) throw notSignedIn();
		return call<T>(method, path, { ...options, token: accessToken() });
	}
}

function accessToken(): string | null {
	return held ? held.access : null;
}

function notSignedIn(): ApiError {
	return new ApiError(401, 'unauthorized', 'Meld je aan om verder te gaan; je sessie ontbreekt of is verlopen.');
}

/** GET /me, remembered for the session. */
export async function loadMe(force = false): Promise<Me> {
	if (session.me && !force) return session.me;
	const me = await authed<Me>('GET', '/me');
	session.me = me;
	return me;
}
