import { ApiError, call, type CallOptions, type Tokens } from './api';

/**
 * One signed-in session of a user pool, as both the partner portal and the back office hold it:
 * the token the API takes lives in memory only; the refresh token is kept in sessionStorage
 * under `key` (this tab, until it closes), so a reload does not sign the user out. Nothing is
 * ever written to localStorage.
 */
export interface TokenSessionOptions {
	/** The sessionStorage key of the refresh token. */
	key: string;
	/** The refresh route, e.g. `/sessions/refresh`. */
	refreshPath: string;
	/** The sign-out route that revokes the refresh token, e.g. `/sessions/revoke`. */
	revokePath: string;
	/** The token the API's routes take: the partner's access token, the staff's ID token. */
	pick: (tokens: Tokens) => string;
	/** Called with every token set kept (sign-in and refresh). */
	kept: (tokens: Tokens) => void;
	/** Called when the session is forgotten. */
	forgotten: () => void;
}

export interface TokenSession {
	keep(tokens: Tokens): void;
	forget(): void;
	/**
	 * Sign-out: forgets every token of this tab at once, and asks the pool to revoke the refresh
	 * token, so a copy of it gives no new tokens. Resolves when the revocation answered; a failed
	 * revocation leaves the tab signed out all the same.
	 */
	signOut(): Promise<void>;
	/** True when a usable token is held (refreshing it when it expired or after a reload). */
	ensure(): Promise<boolean>;
	/** A call with the held token; on 401 it refreshes once and tries again. */
	call<T>(method: string, path: string, options?: Omit<CallOptions, 'token'>): Promise<T>;
}

function notSignedIn(): ApiError {
	return new ApiError(401, 'unauthorized', 'Meld je aan om verder te gaan; je sessie ontbreekt of is verlopen.');
}

export function tokenSession(options: TokenSessionOptions): TokenSession {
	let held: { token: string; expiresAt: number } | null = null;
	let restoring: Promise<boolean> | null = null;

	function storedRefresh(): string | null {
		try {
			return sessionStorage.getItem(options.key);
		} catch {
			return null;
		}
	}

	function keep(tokens: Tokens) {
		held = { token: options.pick(tokens), expiresAt: Date.now() + (tokens.expires_in - 30) * 1000 };
		if (tokens.refresh_token) {
			try {
				sessionStorage.setItem(options.key, tokens.refresh_token);
			} catch {
				// private mode: the session lasts as long as the page
			}
		}
		options.kept(tokens);
	}

	function forget() {
		held = null;
		try {
			sessionStorage.removeItem(options.key);
		} catch {
			// nothing stored
		}
		options.forgotten();
	}

	async function signOut(): Promise<void> {
		const refreshToken = storedRefresh();
		forget();
		if (!refreshToken) return;
		try {
			await call<void>('POST', options.revokePath, { body: { refresh_token: refreshToken } });
		} catch {
			// unreachable or refused: the tab has forgotten the token anyway
		}
	}

	/** A fresh token from the stored refresh token; false when there is none or it failed. */
	async function refresh(): Promise<boolean> {
		const refreshToken = storedRefresh();
		if (!refreshToken) return false;
		try {
			keep(await call<Tokens>('POST', options.refreshPath, { body: { refresh_token: refreshToken } }));
			return true;
		} catch (e) {
			if (e instanceof ApiError && e.status !== 0) forget();
			return false;
		}
	}

	async function ensure(): Promise<boolean> {
		if (held && held.expiresAt > Date.now()) return true;
		restoring ??= refresh().finally(() => {
			restoring = null;
		});
		return restoring;
	}

	/** The held token (a function, so a check after `held = null` and an await reads it anew). */
	function current(): string | null {
		return held ? held.token : null;
	}

	async function authed<T>(method: string, path: string, callOptions: Omit<CallOptions, 'token'> = {}): Promise<T> {
		if (!(await ensure())) throw notSignedIn();
		try {
			return await call<T>(method, path, { ...callOptions, token: current() });
		} catch (e) {
			if (!(e instanceof ApiError) || e.status !== 401) throw e;
			held = null;
			if (!(await ensure())) throw notSignedIn();
			return call<T>(method, path, { ...callOptions, token: current() });
		}
	}

	return { keep, forget, signOut, ensure, call: authed };
}
