import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { activeAccount, PASSWORD, signInApi, uniqueEmail } from './support';

/** Helpers of the back-office tests (staff users of the staff pool, over the local stack). */

export const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');
/** BACKOFFICE_URL of the local stack: <PORTAL_URL>/beheer. */
export const BACKOFFICE = `${PORTAL}/beheer`;

/** An institution number (6 digits) no other test uses, so a school's list holds only this test's apps. */
export function uniqueInstitution(): string {
	return String(100000 + Math.floor(Math.random() * 900000));
}

/** Creates a user of the staff pool (POST /_local/staff-users) and returns its email; it signs in with PASSWORD. */
export async function staffUser(ctx: APIRequestContext, name: string, { groups = [] }: { groups?: string[] } = {}): Promise<string> {
	const email = uniqueEmail(name);
	const res = await ctx.post('/_local/staff-users', { data: { email, password: PASSWORD, groups } });
	expect(res.status(), await res.text()).toBe(201);
	return email;
}

/**
 * Creates a school administrator at the stand-in for Informat's identity provider (POST
 * /_local/school-admins) with `rights` (`leerlingen:012345 ...`); returns its username, its
 * e-mail address. It signs in with PASSWORD, through Informat's sign-in page.
 */
export async function schoolAdmin(ctx: APIRequestContext, name: string, rights: string): Promise<string> {
	return (await schoolAdminWithToken(ctx, name, rights)).email;
}

/** schoolAdmin, with the ID token its sign-in at Informat gave: for set-up over HTTP. */
export async function schoolAdminWithToken(
	ctx: APIRequestContext,
	name: string,
	rights: string
): Promise<{ email: string; idToken: string }> {
	const email = uniqueEmail(name);
	const res = await ctx.post('/_local/school-admins', { data: { email, password: PASSWORD, rights } });
	expect(res.status(), await res.text()).toBe(201);
	return { email, idToken: ((await res.json()) as { id_token: string }).id_token };
}

/** On the back office's sign-in page: "Aanmelden met je Informat-account", Informat's form, back. */
export async function fillInformatSignIn(page: Page, username: string, password = PASSWORD): Promise<void> {
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden in het beheer' })).toBeVisible();
	await page.getByRole('button', { name: 'Aanmelden met je Informat-account' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden met je Informat-account' })).toBeVisible();
	await page.getByLabel('Gebruikersnaam').fill(username);
	await page.getByLabel('Wachtwoord').fill(password);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
}

/** Signs a school administrator in at /beheer/aanmelden through Informat; it lands on its first school. */
export async function schoolAdminSignIn(page: Page, username: string): Promise<void> {
	await page.goto('/beheer/aanmelden');
	await fillInformatSignIn(page, username);
	await expect(page).toHaveURL(/\/beheer\/(scholen|toegang)\//);
}

export async function moderator(ctx: APIRequestContext): Promise<string> {
	return staffUser(ctx, 'moderator', { groups: ['moderators'] });
}

/** Fills in the back office's sign-in page the browser is on and submits it. */
export async function fillStaffSignIn(page: Page, email: string, password = PASSWORD): Promise<void> {
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden in het beheer' })).toBeVisible();
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
}

/** Signs a staff user in at /beheer/aanmelden; a moderator lands on the queue. */
export async function staffSignIn(page: Page, email: string): Promise<void> {
	await page.goto('/beheer/aanmelden');
	await fillStaffSignIn(page, email);
	await expect(page).not.toHaveURL(/\/beheer\/aanmelden/);
}

/** A token request with client_secret_post: the status and the body. */
export async function tokenRequest(
	ctx: APIRequestContext,
	clientId: string,
	secret: string
): Promise<{ status: number; body: Record<string, string> }> {
	const res = await ctx.post('/oauth2/token', {
		form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret }
	});
	return { status: res.status(), body: (await res.json()) as Record<string, string> };
}

/** The ID token of a new moderator, for set-up over HTTP. */
export async function moderatorToken(ctx: APIRequestContext): Promise<string> {
	const res = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: PASSWORD, groups: ['moderators'] }
	});
	expect(res.status(), await res.text()).toBe(201);
	return ((await res.json()) as { id_token: string }).id_token;
}

export interface PartnerApp {
	email: string;
	token: string;
	partner: string;
	partnerId: string;
	id: string;
	name: string;
}

/** A partner with a profile and one application (status Nieuw), set up over HTTP. */
export async function partnerWithApplication(ctx: APIRequestContext, apis: string[] = ['leerlingen', 'personeel']): Promise<PartnerApp> {
	const email = uniqueEmail('partner');
	await activeAccount(ctx, email, PORTAL);
	const token = await signInApi(ctx, email);
	const auth = { authorization: `Bearer ${token}` };
	const partner = `Partner ${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
	const profile = await ctx.post('/profile', {
		headers: auth,
		data: {
			name: partner,
			description: 'Koppelt schoolgegevens aan een planner.',
			contact_name: 'An Peeters',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: true,
			categories: ['hrm'],
			website: 'https://www.voorbeeld.be',
			extra_info: 'Werkt ook met Smartschool.'
		}
	});
	expect(profile.status(), await profile.text()).toBe(201);
	const partnerId = ((await profile.json()) as { id: string }).id;
	const name = `App ${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
	const app = await ctx.post('/applications', {
		headers: auth,
		data: { name, description: 'Plant lessen.', contact_name: 'Tom', contact_email: email, apis }
	});
	expect(app.status(), await app.text()).toBe(201);
	return { email, token, partner, partnerId, id: ((await app.json()) as { id: string }).id, name };
}

/** Approves an application over HTTP; answers its client ID. */
export async function approve(ctx: APIRequestContext, moderatorIdToken: string, id: string): Promise<string> {
	const res = await ctx.post(`/admin/applications/${id}/approve`, { headers: { authorization: `Bearer ${moderatorIdToken}` } });
	expect(res.status(), await res.text()).toBe(200);
	return ((await res.json()) as { client_id: string }).client_id;
}

/** The partner asks `admin` for access over HTTP; answers the link (as in the mail). */
export async function accessRequestLink(ctx: APIRequestContext, app: PartnerApp, admin: string): Promise<string> {
	const res = await ctx.post(`/applications/${app.id}/access-requests`, {
		headers: { authorization: `Bearer ${app.token}` },
		data: { emails: admin }
	});
	expect(res.status(), await res.text()).toBe(201);
	const link = ((await res.json()) as { items: { link: string }[] }).items[0]?.link ?? '';
	expect(link.startsWith(`${BACKOFFICE}/toegang/`), link).toBe(true);
	return link;
}
