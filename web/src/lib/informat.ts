import { config } from './config';

/**
 * Signing in with an Informat account (issue 22): OpenID Connect's authorization code flow with
 * PKCE (RFC 7636, S256) against Informat's identity provider, the back office being a public
 * client (no secret). The ID token it gives is what the API's school routes take; the API's
 * authorizer checks its signature, issuer, audience and expiry, this module checks the state
 * (against a forged answer) and the nonce (against a replayed token) before keeping it.
 *
 * The ID token is kept in sessionStorage (this tab, until it closes or the token expires): there
 * is no refresh token, and a reload should not send the administrator through the provider again.
 */

const PENDING = 'portal.informat.pending';
const SESSION = 'portal.informat.session';
/** Set on sign-out: the next sign-in asks Informat for the password again (prompt=login). */
const SIGNED_OUT = 'portal.informat.signed-out';

export interface InformatSettings {
	issuer: string;
	client_id: string;
	rights_claim: string;
}

/** The provider's settings of this stage (config.json), or null when none are configured. */
export function informatSettings(): InformatSettings | null {
	const c = config();
	return c.informat ?? null;
}

/** Where the provider sends the administrator back with the code. */
export function redirectUri(): string {
	return `${location.origin}/beheer/aanmelden/informat`;
}

interface Metadata {
	issuer: string;
	authorization_endpoint: string;
	token_endpoint: string;
}

let metadata: Promise<Metadata> | null = null;

/** The provider's discovery document (OpenID Connect Discovery 1.0), read once. */
function discover(settings: InformatSettings): Promise<Metadata> {
	metadata ??= fetch(`${settings.issuer}/.well-known/openid-configuration`)
		.then(async (res) => {
			if (!res.ok) throw new Error(`status ${res.status}`);
			const m = (await res.json()) as Partial<Metadata>;
			if (m.issuer !== settings.issuer || !m.authorization_endpoint || !m.token_endpoint) {
				throw new Error('onvolledige gegevens van de aanmeldserver');
			}
			return m as Metadata;
		})
		.catch((e: unknown) => {
			metadata = null;
			throw e;
		});
	return metadata;
}

function base64url(bytes: Uint8Array): string {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(bytes = 32): string {
	return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(verifier: string): Promise<string> {
	return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

interface Pending {
	state: string;
	nonce: string;
	verifier: string;
	/** The back-office page to return to afterwards. */
	back: string | null;
}

/** A sign-in that could not be completed; its message is Dutch, for the page. */
export class InformatSignInError extends Error {}

/** Sends the browser to Informat's sign-in; it comes back at redirectUri() with a code. */
export async function startInformatSignIn(back: string | null): Promise<void> {
	const settings = informatSettings();
	if (!settings) throw new InformatSignInError('Aanmelden met een Informat-account is op deze omgeving niet ingesteld.');
	let m: Metadata;
	try {
		m = await discover(settings);
	} catch {
		throw new InformatSignInError('De aanmeldserver van Informat is nu niet bereikbaar. Probeer het over enkele minuten opnieuw.');
	}
	const pending: Pending = { state: random(), nonce: random(), verifier: random(48), back };
	sessionStorage.setItem(PENDING, JSON.stringify(pending));
	const url = new URL(m.authorization_endpoint);
	// After a sign-out in this tab, Informat's own session (its cookie) must not sign the next
	// person in unasked: OpenID Connect's prompt=login asks for the password again.
	const again = sessionStorage.getItem(SIGNED_OUT) !== null;
	url.search = new URLSearchParams({
		...(again ? { prompt: 'login' } : {}),
		client_id: settings.client_id,
		response_type: 'code',
		scope: 'openid email profile informat',
		redirect_uri: redirectUri(),
		code_challenge: await s256(pending.verifier),
		code_challenge_method: 'S256',
		state: pending.state,
		nonce: pending.nonce
	}).toString();
	location.assign(url.toString());
}

/** The payload of a JWT, decoded without any check (the API verifies the signature). */
export function jwtPayload(jwt: string): Record<string, unknown> {
	const part = jwt.split('.')[1] ?? '';
	const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
	try {
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
		return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}

/**
 * Completes the sign-in with the answer in `url` (the redirect back): checks the state, takes
 * the code to the token endpoint with the PKCE verifier, checks the ID token's issuer, audience
 * and nonce, and keeps it. Returns the page to go back to.
 */
export async function completeInformatSignIn(url: URL): Promise<string | null> {
	const settings = informatSettings();
	if (!settings) throw new InformatSignInError('Aanmelden met een Informat-account is op deze omgeving niet ingesteld.');
	const raw = sessionStorage.getItem(PENDING);
	sessionStorage.removeItem(PENDING);
	const pending = raw ? (JSON.parse(raw) as Pending) : null;
	const params = url.searchParams;
	if (!pending || params.get('state') !== pending.state) {
		throw new InformatSignInError('Deze aanmelding werd niet vanuit dit venster gestart of is al gebruikt. Meld je opnieuw aan.');
	}
	const error = params.get('error');
	if (error) {
		throw new InformatSignInError(
			error === 'access_denied'
				? 'De aanmelding bij Informat werd geweigerd of afgebroken.'
				: `De aanmeldserver van Informat gaf een fout (${error}). Meld je opnieuw aan.`
		);
	}
	const iss = params.get('iss');
	const code = params.get('code');
	if ((iss !== null && iss !== settings.issuer) || !code) {
		throw new InformatSignInError('Het antwoord van de aanmeldserver klopt niet. Meld je opnieuw aan.');
	}
	const m = await discover(settings);
	const res = await fetch(m.token_endpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code,
			client_id: settings.client_id,
			redirect_uri: redirectUri(),
			code_verifier: pending.verifier
		})
	}).catch(() => null);
	if (!res || !res.ok) {
		throw new InformatSignInError('De aanmelding bij Informat kon niet worden afgerond. Meld je opnieuw aan.');
	}
	const body = (await res.json()) as { id_token?: string };
	const idToken = body.id_token ?? '';
	const claims = jwtPayload(idToken);
	const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
	if (claims.iss !== settings.issuer || !audience.includes(settings.client_id) || claims.nonce !== pending.nonce) {
		throw new InformatSignInError('Het antwoord van de aanmeldserver klopt niet. Meld je opnieuw aan.');
	}
	sessionStorage.setItem(SESSION, idToken);
	sessionStorage.removeItem(SIGNED_OUT);
	return pending.back;
}

/** The kept ID token while it is valid (30 s of margin), else null (and it is forgotten). */
export function informatToken(): string | null {
	let token: string | null = null;
	try {
		token = sessionStorage.getItem(SESSION);
	} catch {
		return null;
	}
	if (!token) return null;
	const exp = jwtPayload(token).exp;
	if (typeof exp !== 'number' || exp * 1000 - 30_000 <= Date.now()) {
		forgetInformat();
		return null;
	}
	return token;
}

export function forgetInformat(): void {
	try {
		sessionStorage.removeItem(SESSION);
	} catch {
		// nothing stored
	}
}

/** Sign-out: the token is forgotten, and the next sign-in in this tab asks for the password. */
export function signOutInformat(): void {
	forgetInformat();
	try {
		sessionStorage.setItem(SIGNED_OUT, '1');
	} catch {
		// private mode: nothing kept either
	}
}
