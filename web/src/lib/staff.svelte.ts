import { call, type CallOptions, type PublicPartner, type Tokens } from './api';
import { tokenSession } from './tokens';
import type { LogEntry } from './logs';

/**
 * The back office's session: staff users of Informat (moderators) and school administrators,
 * from the staff user pool. Kept apart from the partner's session: the ID token (what the staff
 * routes take) lives in memory only; the refresh token in sessionStorage under its own key, so a
 * reload keeps the user signed in in this tab. Nothing is written to localStorage.
 */

/** The ID token's claims the pages read: for display only, the API checks every right itself. */
export interface StaffClaims {
	email: string;
	groups: string[];
	/** Scopes `api:instellingsnummer` the administrator may grant (`custom:admin_scopes`). */
	adminScopes: string[];
}

export const staff = $state<{ signedIn: boolean; claims: StaffClaims | null }>({ signedIn: false, claims: null });

/** The payload of a JWT, decoded without any check (the API verifies the signature). */
function payload(jwt: string): Record<string, unknown> {
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

export function claimsOf(idToken: string): StaffClaims {
	const p = payload(idToken);
	const rawGroups = p['cognito:groups'];
	const groups = Array.isArray(rawGroups)
		? rawGroups.filter((g): g is string => typeof g === 'string')
		: typeof rawGroups === 'string'
			? rawGroups.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean)
			: [];
	const rawScopes = typeof p['custom:admin_scopes'] === 'string' ? (p['custom:admin_scopes'] as string) : '';
	const adminScopes = rawScopes.split(/[\s,]+/).filter((s) => /^[a-z]+:\d{5,6}$/.test(s));
	return { email: typeof p.email === 'string' ? p.email : '', groups, adminScopes };
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
	},
	forgotten: () => {
		staff.signedIn = false;
		staff.claims = null;
	}
});

/** POST /staff/sessions: signs a staff user in and keeps the tokens. */
export async function staffSignIn(email: string, password: string): Promise<StaffClaims> {
	tokens.keep(await call<Tokens>('POST', '/staff/sessions', { body: { email, password } }));
	return staff.claims as StaffClaims;
}

/** Sign-out: forgets every staff token of this tab at once and revokes the refresh token (POST /staff/sessions/revoke). */
export function staffSignOut(): Promise<void> {
	return tokens.signOut();
}

/** True when a usable ID token is held (refreshing it when it expired or after a reload). */
export function ensureStaff(): Promise<boolean> {
	return tokens.ensure();
}

/** A call with the staff ID token; on 401 it refreshes once and tries again. */
export function staffCall<T>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}): Promise<T> {
	return tokens.call<T>(method, path, options);
}

/** The back office's landing page for these claims: moderators to the queue, administrators to their first school. */
export function homeOf(claims: StaffClaims | null): string {
	if (isModerator(claims)) return '/beheer/moderatie';
	const first = schoolsOf(claims)[0];
	return first ? `/beheer/scholen/${first.institution}` : '/beheer';
}

/** GET /access-requests/{token}: what a school administrator is asked to grant. */
export interface AccessRequestView {
	application: { id: string; name: string; description: string; apis: string[] };
	partner: PublicPartner & { contact_email: string };
	requested_by: string;
	expires_at: string;
	status: string;
	institutions?: string[];
}

/** One application with access at a school (GET /schools/{institution}/applications). */
export interface SchoolApplication {
	application: { id: string; name: string; description: string; status: string; apis: string[] };
	partner: PublicPartner | null;
	client_id: string | null;
	apis: string[];
	scopes: string[];
	grants: { api: string; scope: string; granted_at: string | null; granted_by: string | null }[];
	granted_at: string | null;
	granted_by: string | null;
	updated_at: string;
}

/** An application as the moderators see it (GET /admin/applications[/{id}]). */
export interface ReviewedApplication {
	id: string;
	name: string;
	description: string;
	contact_name: string;
	contact_email: string;
	apis: string[];
	status: 'new' | 'approved' | 'rejected' | 'archived';
	client_id: string | null;
	rejection_reason: string | null;
	secret_created_at: string | null;
	created_at: string;
	updated_at: string;
	partner: ReviewedPartner | null;
}

/** GET /admin/applications/{id}: with the application's log, newest first. */
export interface ApplicationUnderReview extends ReviewedApplication {
	history: LogEntry[];
}

/** The partner profile of an application (in full on the detail, id and name in the queue). */
export interface ReviewedPartner {
	id: string;
	name: string;
	slug?: string;
	email?: string;
	active?: boolean;
	description?: string;
	enterprise_number?: string | null;
	contact_name?: string;
	address?: { street: string; postal_code: string; city: string; country: string };
	public?: boolean;
	categories?: string[];
	website?: string;
	logo_url?: string | null;
	extra_info?: string | null;
}

/** GET /admin/clients/{client_id} */
export interface AdminClient {
	client_id: string;
	application_id: string | null;
	scopes: string[];
	blocked_scopes: string[];
}
