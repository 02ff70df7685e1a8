import { expect, type APIRequestContext } from '@playwright/test';
import { activeAccount, api, API, expectAccessible, png, screenshots, signInApi, uniqueEmail, test } from './support';

const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

interface Listed {
	name: string;
	slug: string;
}

/**
 * A partner as the manual lists it: an active, public profile with a logo and an approved
 * application, made over HTTP on the real stack (a moderator of the staff pool approves).
 */
async function listedPartner(ctx: APIRequestContext, name: string, categories: string[]): Promise<Listed> {
	const email = uniqueEmail('partner');
	await activeAccount(ctx, email, PORTAL);
	const token = await signInApi(ctx, email);
	const auth = { authorization: `Bearer ${token}` };
	const profile = await ctx.post('/profile', {
		headers: auth,
		data: {
			name,
			description: `${name} maakt software voor scholen en wisselt leerlingengegevens uit met Informat.`,
			contact_name: 'An Peeters',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: true,
			categories,
			website: 'https://www.voorbeeld.be',
			extra_info: 'Voor meer info, neem contact met onze helpdesk.'
		}
	});
	expect(profile.status(), await profile.text()).toBe(201);
	const { slug } = (await profile.json()) as { slug: string };
	const logo = await ctx.put('/profile/logo', {
		headers: { ...auth, 'content-type': 'image/png' },
		data: png(120, 60, [11, 79, 156])
	});
	expect(logo.status(), await logo.text()).toBe(200);
	const app = await ctx.post('/applications', {
		headers: auth,
		data: { name: `${name} app`, description: 'Synchroniseert klassen.', contact_name: 'Tom', contact_email: email, apis: ['leerlingen'] }
	});
	expect(app.status(), await app.text()).toBe(201);
	const { id } = (await app.json()) as { id: string };
	const staff = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: 'Sterk!Wachtw00rd-Mod', groups: ['moderators'] }
	});
	expect(staff.status(), await staff.text()).toBe(201);
	const { id_token } = (await staff.json()) as { id_token: string };
	const approve = await ctx.post(`/admin/applications/${id}/approve`, { headers: { authorization: `Bearer ${id_token}` } });
	expect(approve.status(), await approve.text()).toBe(200);
	return { name, slug };
}

test('the directory: search, category filter and the partner page with its logo', async ({ page }) => {
	const ctx = await api();
	const tag = Date.now().toString(36);
	const first = await listedPartner(ctx, `Klasplanner ${tag}`, ['communiceren', 'hrm']);
	const second = await listedPartner(ctx, `Rekenwolk ${tag}`, ['hrm']);

	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1, name: 'Partners van Informat' })).toBeVisible();
	await expect(page.getByRole('link', { name: first.name })).toBeVisible();
	await expect(page.getByRole('link', { name: second.name })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'overzicht');

	// Search by name: only the matching partner, and the address says what was searched.
	await page.getByLabel('Zoeken', { exact: true }).fill(`Klasplanner ${tag}`);
	await page.getByRole('button', { name: 'Zoeken' }).click();
	await expect(page).toHaveURL(new RegExp(`\\?q=Klasplanner`));
	await expect(page.getByRole('link', { name: first.name })).toBeVisible();
	await expect(page.getByRole('link', { name: second.name })).toHaveCount(0);

	// The categories come from GET /categories; "Communiceren" leaves out the HRM-only partner.
	await page.getByLabel('Zoeken', { exact: true }).fill(tag);
	await page.getByLabel('Categorie', { exact: true }).selectOption({ label: 'Communiceren' });
	await page.getByRole('button', { name: 'Zoeken' }).click();
	await expect(page).toHaveURL(/categorie=communiceren/);
	await expect(page.getByRole('link', { name: first.name })).toBeVisible();
	await expect(page.getByRole('link', { name: second.name })).toHaveCount(0);

	// A deep link with a category works on its own (the host falls back to index.html).
	await page.goto(`/?q=${tag}&categorie=hrm`);
	await expect(page.getByLabel('Categorie', { exact: true })).toHaveValue('hrm');
	await expect(page.getByRole('link', { name: second.name })).toBeVisible();
	await expect(page.getByRole('link', { name: first.name })).toBeVisible();

	await page.getByRole('link', { name: first.name }).click();
	await expect(page).toHaveURL(new RegExp(`/partners/${first.slug}$`));
	await expect(page.getByRole('heading', { level: 1, name: first.name })).toBeVisible();
	await expect(page.getByRole('heading', { name: `Over ${first.name}` })).toBeVisible();
	await expect(page.getByText('Communiceren')).toBeVisible();
	await expect(page.getByText('HRM')).toBeVisible();
	await expect(page.getByText('Voor meer info, neem contact met onze helpdesk.')).toBeVisible();
	const logo = page.getByRole('img', { name: `Logo van ${first.name}` });
	await expect(logo).toBeVisible();
	// The logo really loaded (the image decoded, not a broken icon).
	await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(120);
	// Never the contact, the address or the enterprise number.
	await expect(page.getByText('An Peeters')).toHaveCount(0);
	await expect(page.getByText('Kerkstraat')).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'partnerpagina');

	await page.goto('/partners/bestaat-niet-' + tag);
	await expect(page.getByRole('heading', { level: 1, name: 'Partner niet gevonden' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'partner-niet-gevonden');

	// An address no page has: the 404 page, with a way back to the directory.
	await page.goto('/bestaat-niet-' + tag);
	await expect(page.getByRole('heading', { level: 1, name: 'Pagina niet gevonden' })).toBeVisible();
	await expect(page).toHaveTitle(/Pagina niet gevonden/);
	await expectAccessible(page);
	await screenshots(page, '404');
	await page.getByRole('link', { name: 'Naar het overzicht van de partners' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Partners van Informat' })).toBeVisible();
});

test('the local mailbox lists the mails with clickable links', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('mailbox');
	const res = await ctx.post('/accounts', { data: { email, password: 'Rode-Appel!Soep31', accept_terms: true } });
	expect(res.status()).toBe(202);

	// Until the stack answers its /_local/ routes with CORS for the front end's origin, the
	// browser cannot read them; pass the stack's real answer through with the header added.
	const probe = await ctx.get('/_local/mails', { headers: { origin: PORTAL } });
	if (!probe.headers()['access-control-allow-origin']) {
		await page.route(`${API}/_local/mails`, async (route) => {
			const real = await route.fetch();
			await route.fulfill({ response: real, headers: { ...real.headers(), 'access-control-allow-origin': PORTAL } });
		});
	}

	await page.goto('/');
	await page.getByRole('link', { name: 'Mailbox' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Mailbox van de lokale omgeving' })).toBeVisible();
	const mail = page.getByRole('listitem').filter({ hasText: `aan ${email}` }).first();
	await expect(mail.getByText('Informat – Activeer je partneraccount')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'mailbox');

	await mail.getByRole('link', { name: /\/activeren\?token=/ }).click();
	await expect(page).toHaveURL(/\/activeren/);
	await expect(page.getByText('Je account is geactiveerd.')).toBeVisible();
});
