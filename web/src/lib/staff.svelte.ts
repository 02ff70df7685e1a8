import { ApiError, call, type CallOptions, type Tokens } from './api';
import { forgetInformat, informatSettings, informatToken, jwtPayload, signOutInformat } from './informat';
import { tokenSession } from './tokens';
import type { components } from './api-types';

/**
 * The back office's session, of one of two kinds:
 * - an Informat moderator, of the staff user pool (e-mail and password): the ID token (what the
 *   moderator routes take) lives in memory only, the refresh token in sessionStorage under its
 *   own key, so a reload keeps the moderator signed in in this tab;
 * - a school administrator, signed in with its Informat account at Informat's identity provider
 *   (lib/informat.ts): its ID token, what the school routes take, with its rights in a claim.
 * Kept apart from the partner's session. Nothing is written to localStorage.
 */

/** The ID token's claims the pages read: for display only, the API checks every right itself. */
export interface StaffClaims {
	email: string;
	groups: string[];
	/** Scopes `api:instellingsnummer` the administrator may grant (the rights claim of Informat's ID token). */
	adminScopes: string[];
}

export const staff = $state<{ signedIn: boolean; claims: StaffClaims | null; kind: 'moderator' | 'school' | null }>({
	signedIn: false,
	claims: null,
	kind: null
});

function listClaim(raw: unknown): string[] {
	if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
	if (typeof raw === 'string') return raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
	return [];
}

/** The claims of a moderator's ID token (staff pool). */
export function claimsOf(idToken: string): StaffClaims {
	const p = jwtPayload(idToken);
	return { email: typeof p.email === 'string' ? p.email : '', groups: listClaim(p['cognito:groups']), adminScopes: [] };
}

/** The claims of a school administrator's ID token (Informat): its rights from the configured claim. */
function informatClaimsOf(idToken: string): StaffClaims {
	const p = jwtPayload(idToken);
	const claim = informatSettings()?.rights_claim ?? 'informat_admin_scopes';
	const adminScopes = listClaim(p[claim]).filter((s) => /^[a-z]+:\d{5,6}$/.test(s));
	return { email: typeof p.email === 'string' ? p.email : '', groups: [], adminScopes };
}

export function isModerator(claims: StaffClaims | null): boolean {
	return !!claims && claims.groups.includes('moderators');
}

/** The institutions the administrator has rights at, each with the APIs it may grant there. */
export function schoolsOf(claims: StaffClaims | null): { institution: string; apis: string[] }[] {
	const by = new Map<string, string[]>();
	for (const scope of claims?.adminScopes ?? []) {
		const [api, institution] = scope.split(':') as [string, string];
		const list = by.get(institution) ?? [];
		if (!list.includes(api)) list.push(api);
		by.set(institution, list);
	}
	return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([institution, apis]) => ({ institution, apis }));
}

const tokens = tokenSession({
	key: 'portal.staff.refresh',
	refreshPath: '/staff/sessions/refresh',
	revokePath: '/staff/sessions/revoke',
	pick: (t) => t.id_token,
	kept: (t) => {
		staff.claims = claimsOf(t.id_token);
		staff.signedIn = true;
		staff.kind = 'moderator';
	},
	forgotten: () => {
		if (staff.kind !== 'moderator') return;
		staff.signedIn = false;
		staff.claims = null;
		staff.kind = null;
	}
});

/** The school administrator's ID token while it is valid, with the state set from it. */
function schoolSession(): string | null {
	const token = informatToken();
	if (token) {
		staff.claims = informatClaimsOf(token);
		staff.signedIn = true;
		staff.kind = 'school';
	} else if (staff.kind === 'school') {
		staff.signedIn = false;
		staff.claims = null;
		staff.kind = null;
	}
	return token;
}

/** POST /staff/sessions: signs a moderator in and keeps the tokens. */
export async function staffSignIn(email: string, password: string): Promise<StaffClaims> {
	forgetInformat();
	tokens.keep(await call<Tokens>('POST', '/staff/sessions', { body: { email, password } }));
	return staff.claims as StaffClaims;
}

/**
 * Sign-out: forgets every staff token of this tab at once; a moderator's refresh token is also
 * revoked (POST /staff/sessions/revoke). An administrator's session at Informat itself is
 * Informat's to end.
 */
export function staffSignOut(): Promise<void> {
	signOutInformat();
	schoolSession();
	return tokens.signOut();
}

/** True when a usable ID token is held (a moderator's is refreshed when it expired or after a reload). */
export async function ensureStaff(): Promise<boolean> {
	if (schoolSession()) return true;
	return tokens.ensure();
}

function sessionOver(): ApiError {
	return new ApiError(401, 'unauthorized', 'Je aanmelding bij Informat is verlopen. Meld je opnieuw aan.');
}

/** A call with the staff ID token; a moderator's is refreshed once on 401 and the call tried again. */
export async function staffCall<T>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
	const school = schoolSession();
	if (!school) return tokens.call<T>(method, path, options);
	try {
		return await call<T>(method, path, { ...options, token: school });
	} catch (e) {
		if (e instanceof ApiError && e.status === 401) {
			forgetInformat();
			schoolSession();
			throw sessionOver();
		}
		throw e;
	}
}

/** The back office's landing page for these claims: moderators to the queue, administrators to their first school. */
export function homeOf(claims: StaffClaims | null): string {
	if (isModerator(claims)) return '/beheer/moderatie';
	const first = schoolsOf(claims)[0];
	return first ? `/beheer/scholen/${first.institution}` : '/beheer';
}

/** GET /access-requests/{token}: what a school administrator is asked to grant. */
export type AccessRequestView = components['schemas']['OpenedRequest'];

/** One application with access at a school (GET /schools/{institution}/applications). */
export type SchoolApplication = components['schemas']['SchoolApplication'];

/** An application as the moderators see it (GET /admin/applications): its partner by id and name. */
export type ReviewedApplication = components['schemas']['ReviewedApplication'];

/** GET /admin/applications/{id}: with its partner in full and the application's log, newest first. */
export type ApplicationUnderReview = components['schemas']['ApplicationUnderReview'];

/** The partner profile of an application under review, in full. */
export type ReviewedPartner = components['schemas']['Profile'];

/** GET /admin/clients/{client_id} */
export interface AdminClient {
	client_id: string;
	application_id: string | null;
	scopes: string[];
	blocked_scopes: string[];
}
