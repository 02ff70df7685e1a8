import { expect, type Page } from '@playwright/test';
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { dateTime } from '../src/lib/time';
import { activeAccount, api, API, expectAccessible, expectVisibleFocus, linkIn, mailTo, PASSWORD, screenshots, signInApi, tabTo, test, uniqueEmail } from './support';

const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

/** A partner with a profile, signed in through the page (it lands on Mijn profiel). */
async function partnerSignedIn(page: Page): Promise<string> {
	const ctx = await api();
	const email = uniqueEmail('apps');
	await activeAccount(ctx, email, PORTAL);
	const token = await signInApi(ctx, email);
	const created = await ctx.post('/profile', {
		headers: { authorization: `Bearer ${token}` },
		data: {
			name: `Appmaker ${Date.now().toString(36)}`,
			description: 'Maakt apps.',
			contact_name: 'Jan',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: true,
			categories: ['hrm'],
			website: 'https://www.appmaker.be'
		}
	});
	expect(created.status(), await created.text()).toBe(201);
	await page.goto('/aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeVisible();
	return email;
}

test('Applicatie toevoegen: a new client ID, status Nieuw', async ({ page }) => {
	const email = await partnerSignedIn(page);
	await page.getByRole('navigation', { name: 'Partnermenu' }).getByRole('link', { name: 'Applicaties' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Applicaties' })).toBeVisible();
	await expect(page.getByText('Je hebt nog geen applicaties.')).toBeVisible();
	await expectAccessible(page);

	// By the keyboard: the choice opens with the focus on the selected option, the arrow keys
	// move it, and Enter follows the option with the focus (as Doorgaan does).
	await page.getByRole('button', { name: 'Applicatie toevoegen' }).focus();
	await page.keyboard.press('Enter');
	const dialog = page.getByRole('dialog', { name: 'Nieuwe applicatie toevoegen' });
	await expect(dialog).toBeVisible();
	const nieuw = dialog.getByLabel('Ik vraag een nieuwe client ID aan');
	await expect(nieuw).toBeChecked();
	await expect(nieuw).toBeFocused();
	await expectVisibleFocus(page);
	// WCAG 2.2 target size: a radio button is at least 24 × 24 CSS px.
	const radio = await nieuw.boundingBox();
	expect(radio?.width).toBeGreaterThanOrEqual(24);
	expect(radio?.height).toBeGreaterThanOrEqual(24);
	await expectAccessible(page);
	await screenshots(page, 'applicatie-keuze');
	await page.keyboard.press('ArrowUp');
	await expect(dialog.getByLabel('Ik koppel mijn client ID & secret')).toBeFocused();
	await expect(dialog.getByLabel('Ik koppel mijn client ID & secret')).toBeChecked();
	await page.keyboard.press('ArrowDown');
	await expect(nieuw).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/applicaties\/nieuw$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Applicatie toevoegen' })).toBeVisible();

	// Nothing filled in: every field refused beside itself, at least one API required.
	await page.getByRole('button', { name: 'Opslaan' }).click();
	for (const id of ['name', 'description', 'contact_name', 'contact_email']) {
		await expect(page.locator(`#${id}`)).toHaveAttribute('aria-invalid', 'true');
		await expect(page.locator(`#${id}-error`)).toBeVisible();
	}
	await expect(page.locator('#apis-error')).toContainText('Kies minstens één API.');
	// WCAG 2.2 target size: a check box is at least 24 × 24 CSS px.
	const box = await page.getByLabel('Leerlingen').boundingBox();
	expect(box?.width).toBeGreaterThanOrEqual(24);
	expect(box?.height).toBeGreaterThanOrEqual(24);
	await expectAccessible(page);
	await screenshots(page, 'applicatie-nieuw-fouten');

	await page.getByLabel('Naam').fill('Lessenplanner');
	await page.getByLabel('Omschrijving').fill('Plant lessen met de klaslijsten uit Informat.');
	await page.getByLabel('Contactpersoon').fill('Tom Peeters');
	await page.getByLabel('E-mailadres').fill('geen-adres');
	await page.getByLabel('Leerlingen').check();
	await page.getByLabel('Personeel').check();
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#contact_email-error')).toBeVisible();
	await expect(page.locator('#name-error')).toHaveCount(0);
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByRole('button', { name: 'Opslaan' }).click();

	await expect(page).toHaveURL(/\/applicaties$/);
	await expect(page.getByRole('status').filter({ hasText: 'met de status “Nieuw”' })).toBeVisible();
	const row = page.getByRole('row').filter({ hasText: 'Lessenplanner' });
	await expect(row).toContainText('Nieuw');
	await expect(row).toContainText('Leerlingen, Personeel');
	await expectAccessible(page);
	await screenshots(page, 'applicaties');
});

test('Client/Secret koppelen: verify first, the manual\'s two messages, then Goedgekeurd', async ({ page }) => {
	const ctx = await api();
	const clientId = `informat_customer_${Date.now().toString(36)}`;
	const legacy = await ctx.post('/_local/legacy-clients', {
		data: { client_id: clientId, client_secret: 'Oud-Secret-1', scopes: ['leerlingen:012345', 'rekeningen:012345'] }
	});
	expect(legacy.status(), await legacy.text()).toBe(201);
	await partnerSignedIn(page);

	await page.goto('/applicaties');
	await page.getByRole('button', { name: 'Applicatie toevoegen' }).click();
	// The focus starts on the option chosen by default.
	await expect(page.getByLabel('Ik vraag een nieuwe client ID aan')).toBeFocused();
	await page.getByLabel('Ik koppel mijn client ID & secret').check();
	await page.getByRole('button', { name: 'Doorgaan' }).click();
	await expect(page).toHaveURL(/\/applicaties\/koppelen$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Client/Secret koppelen' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'client-koppelen');

	await page.getByLabel('Client ID').fill(clientId);
	await page.getByLabel('Client Secret').fill('Verkeerd-Secret');
	await page.getByRole('button', { name: 'Doorgaan' }).click();
	await expect(page.getByRole('alert').first()).toHaveText(
		'De ingevoerde client/secret is ongeldig. Heb je geen geldige client/secret, vraag dan een nieuwe aan.'
	);
	await expectAccessible(page);

	await page.getByLabel('Client Secret').fill('Oud-Secret-1');
	await page.getByRole('button', { name: 'Doorgaan' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Applicatie toevoegen' })).toBeFocused();
	// The APIs follow from the client's scopes.
	await expect(page.getByLabel('Leerlingen')).toBeChecked();
	await expect(page.getByLabel('Rekeningen')).toBeChecked();
	await expect(page.getByLabel('Personeel')).not.toBeChecked();
	await expect(page.getByLabel('Leerlingen')).toBeDisabled();
	await page.getByLabel('Naam').fill('Bestaande koppeling');
	await page.getByLabel('Omschrijving').fill('Wisselt al jaren leerlingen en rekeningen uit.');
	await page.getByLabel('Contactpersoon').fill('An');
	await page.getByLabel('E-mailadres').fill('an@voorbeeld.be');
	await expectAccessible(page);
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page).toHaveURL(/\/applicaties$/);
	const row = page.getByRole('row').filter({ hasText: 'Bestaande koppeling' });
	await expect(row).toContainText('Goedgekeurd');
	await expect(row).toContainText(clientId);

	// The same client a second time: the manual's "al gekoppeld" message.
	await page.goto('/applicaties/koppelen');
	await page.getByLabel('Client ID').fill(clientId);
	await page.getByLabel('Client Secret').fill('Oud-Secret-1');
	await page.getByRole('button', { name: 'Doorgaan' }).click();
	await expect(page.getByRole('alert').first()).toHaveText(
		'Sorry! Deze client is al gekoppeld aan een andere applicatie. Je kan een client maar aan één app koppelen.'
	);
});

test('an approved application: Algemeen with the Opgelet! warning, API toegang (secret, Toegang aanvragen), Logs', async ({ page, context }) => {
	const ctx = await api();
	const email = await partnerSignedIn(page);
	const token = await signInApi(ctx, email);
	const created = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name: 'Klasagenda', description: 'Agenda per klas.', contact_name: 'Tom', contact_email: email, apis: ['leerlingen', 'personeel'] }
	});
	expect(created.status(), await created.text()).toBe(201);
	const { id } = (await created.json()) as { id: string };
	const staff = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: 'Sterk!Wachtw00rd-Mod', groups: ['moderators'] }
	});
	const { id_token } = (await staff.json()) as { id_token: string };
	const approved = await ctx.post(`/admin/applications/${id}/approve`, { headers: { authorization: `Bearer ${id_token}` } });
	expect(approved.status(), await approved.text()).toBe(200);
	const { client_id } = (await approved.json()) as { client_id: string };

	await page.goto('/applicaties');
	await page.getByRole('link', { name: 'Klasagenda' }).click();
	await expect(page).toHaveURL(new RegExp(`/applicaties/${id}$`));
	await expect(page.getByRole('heading', { level: 1, name: 'Klasagenda' })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: client_id })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'applicatie-algemeen');

	// Unchecking an API shows the manual's warning first; Annuleren keeps the edit unsaved.
	await page.getByRole('button', { name: 'Bewerken' }).click();
	await page.getByLabel('Personeel').uncheck();
	await page.getByRole('button', { name: 'Opslaan' }).click();
	const warning = page.getByRole('dialog', { name: 'Opgelet!' });
	await expect(warning).toContainText('De bestaande scopes voor die API zullen verwijderd worden bij het bewaren.');
	await expect(warning).toContainText('Personeel');
	await expectAccessible(page);
	await screenshots(page, 'applicatie-opgelet');
	await warning.getByRole('button', { name: 'Annuleren' }).click();
	await expect(warning).toBeHidden();
	// The focus is back on the form's Opslaan; Escape is Annuleren too.
	await expect(page.getByRole('button', { name: 'Opslaan' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(warning).toBeVisible();
	await expect(warning.getByRole('button', { name: 'Annuleren' })).toBeFocused();
	await page.keyboard.press('Escape');
	await expect(warning).toBeHidden();
	await expect(page.getByRole('button', { name: 'Opslaan' })).toBeFocused();
	const unchanged = await ctx.get(`/applications/${id}`, { headers: { authorization: `Bearer ${token}` } });
	expect(((await unchanged.json()) as { apis: string[] }).apis).toEqual(['leerlingen', 'personeel']);
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await warning.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Je wijzigingen zijn opgeslagen.' })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: /^Leerlingen$/ })).toBeVisible();

	// API toegang: a secret shown once, that the token endpoint accepts (no school granted
	// anything yet, so the answer is invalid_scope, where a wrong secret gets invalid_client).
	await page.getByRole('link', { name: 'API toegang' }).click();
	await expect(page).toHaveURL(/tab=api-toegang/);
	await expect(page.getByText('Let op! Het secret wordt niet bewaard in het Partnerportaal.')).toBeVisible();
	// No secret yet, so nothing to keep valid: the choice is not offered (issue 22).
	await expect(page.getByLabel('Het vorige secret blijft geldig')).toHaveCount(0);
	await page.getByRole('button', { name: 'Genereer secret' }).click();
	const secret = (await page.locator('#client-secret').innerText()).trim();
	await expect(page.getByLabel('Het vorige secret blijft geldig')).toHaveValue('0');
	expect(secret.length).toBeGreaterThan(20);
	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', { name: 'Kopiëren secret' }).click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
	const tokenError = async (s: string) => {
		const answer = await ctx.post('/oauth2/token', { form: { grant_type: 'client_credentials', client_id, client_secret: s } });
		return ((await answer.json()) as { error: string }).error;
	};
	expect(await tokenError(secret)).toBe('invalid_scope');
	expect(await tokenError(`${secret}x`)).toBe('invalid_client');

	// Toegang aanvragen: addresses separated by semicolons; a wrong one is refused beside the field.
	await page.getByRole('button', { name: 'Toegang aanvragen' }).click();
	const request = page.getByRole('dialog', { name: 'Versturen aanvraag API-toegang' });
	// The pop-up opens with the focus on its field.
	await expect(request.getByLabel('E-mailadres Informatbeheerder(s)')).toBeFocused();
	await request.getByLabel('E-mailadres Informatbeheerder(s)').fill('directie@school.be; geen-adres');
	await request.getByRole('button', { name: 'Versturen' }).click();
	await expect(request.locator('#emails-error')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'toegang-aanvragen');
	const admins = [uniqueEmail('directie'), uniqueEmail('ict')];
	await request.getByLabel('E-mailadres Informatbeheerder(s)').fill(admins.join('; '));
	await request.getByRole('button', { name: 'Versturen' }).click();
	await expect(request).toBeHidden();
	await expect(page.getByRole('status').filter({ hasText: 'De aanvraag werd verstuurd naar' })).toBeVisible();
	const requests = page.getByRole('region', { name: 'Aanvragen' });
	for (const admin of admins) await expect(requests.getByRole('row').filter({ hasText: admin })).toContainText('Openstaand');
	// One mail per address per application per day (issue 21): a second request to an address
	// is refused beside the field, naming it, and the typed addresses stay.
	const again = admins[0] ?? '';
	await page.getByRole('button', { name: 'Toegang aanvragen' }).click();
	await request.getByLabel('E-mailadres Informatbeheerder(s)').fill(again);
	await request.getByRole('button', { name: 'Versturen' }).click();
	await expect(request.locator('#emails-error')).toContainText(`werd vandaag al een toegangsaanvraag voor deze applicatie gestuurd: ${again}`);
	await expect(request.getByLabel('E-mailadres Informatbeheerder(s)')).toHaveValue(again);
	await expect(request.getByLabel('E-mailadres Informatbeheerder(s)')).toHaveAttribute('aria-invalid', 'true');
	await expectAccessible(page);
	await screenshots(page, 'toegang-aanvragen-limiet');
	await page.keyboard.press('Escape');
	await expect(request).toBeHidden();
	await expectAccessible(page);
	await screenshots(page, 'applicatie-api-toegang');

	// Logs: the access-request link is there, clickable and copyable.
	await page.getByRole('link', { name: 'Logs' }).click();
	const logs = page.getByRole('region', { name: 'Logs van de applicatie' });
	await expect(logs.getByRole('link', { name: /\/toegang\// }).first()).toBeVisible();
	await expect(logs.getByRole('button', { name: 'Kopieer link' }).first()).toBeVisible();
	await expect(logs.getByRole('row').filter({ hasText: 'Personeel' }).first()).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'applicatie-logs');
});

/** An application of the signed-in partner, approved by a moderator over HTTP; answers its id and client id. */
async function approvedApplication(email: string, name: string): Promise<{ id: string; client_id: string; token: string }> {
	const ctx = await api();
	const token = await signInApi(ctx, email);
	const created = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name, description: 'Een applicatie.', contact_name: 'Tom', contact_email: email, apis: ['leerlingen'] }
	});
	expect(created.status(), await created.text()).toBe(201);
	const { id } = (await created.json()) as { id: string };
	const staff = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: 'Sterk!Wachtw00rd-Mod', groups: ['moderators'] }
	});
	const { id_token } = (await staff.json()) as { id_token: string };
	const approved = await ctx.post(`/admin/applications/${id}/approve`, { headers: { authorization: `Bearer ${id_token}` } });
	expect(approved.status(), await approved.text()).toBe(200);
	const { client_id } = (await approved.json()) as { client_id: string };
	return { id, client_id, token: id_token };
}

test('API toegang: public keys for private_key_jwt, refused with the reason beside the field', async ({ page }) => {
	const ctx = await api();
	const email = await partnerSignedIn(page);
	const { id, client_id } = await approvedApplication(email, 'Sleutelapp');
	await page.goto(`/applicaties/${id}?tab=api-toegang`);
	await expect(page.getByRole('heading', { name: 'Publieke sleutels' })).toBeVisible();

	const field = page.getByLabel('JWK Set');
	await field.fill('geen json');
	await page.getByRole('button', { name: 'Sleutels bewaren' }).click();
	await expect(page.locator('#jwks-error')).toContainText('Dit is geen geldige JSON');

	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	// A private key is refused by the API, its Dutch reason beside the field.
	const priv = { ...privateKey.export({ format: 'jwk' }), kid: 'sleutel-1' };
	await field.fill(JSON.stringify({ keys: [priv] }));
	await page.getByRole('button', { name: 'Sleutels bewaren' }).click();
	await expect(page.locator('#jwks')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.locator('#jwks-error')).not.toBeEmpty();
	await expectAccessible(page);

	const pub = { ...publicKey.export({ format: 'jwk' }), kid: 'sleutel-1', use: 'sig', alg: 'ES256' };
	await field.fill(JSON.stringify({ keys: [pub] }));
	await page.getByRole('button', { name: 'Sleutels bewaren' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'De publieke sleutel is bewaard.' })).toBeVisible();
	await expect(page.locator('#jwks-error')).toHaveCount(0);

	// The key really counts: a JWT signed with it authenticates the client (invalid_scope: no
	// school granted anything yet), one signed with another key does not (invalid_client).
	const tokenUrl = `${API}/oauth2/token`;
	const assertion = (key: KeyObject) => {
		const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
		const now = Math.floor(Date.now() / 1000);
		const head = b64({ alg: 'ES256', typ: 'JWT', kid: 'sleutel-1' });
		const claims = b64({ iss: client_id, sub: client_id, aud: tokenUrl, iat: now, exp: now + 120, jti: randomUUID() });
		const sig = sign('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
		return `${head}.${claims}.${sig}`;
	};
	const tokenError = async (key: KeyObject) => {
		const answer = await ctx.post('/oauth2/token', {
			form: {
				grant_type: 'client_credentials',
				client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
				client_assertion: assertion(key)
			}
		});
		return ((await answer.json()) as { error: string }).error;
	};
	expect(await tokenError(privateKey)).toBe('invalid_scope');
	expect(await tokenError(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toBe('invalid_client');
});

/** RFC 7638's thumbprint of an EC public JWK, computed here independently of the portal. */
function ecThumbprint(jwk: { crv?: string; x?: string; y?: string }): string {
	return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y })).digest('base64url');
}

test('Publieke sleutels: the registered keys in a table, one removed by keyboard through a dialog', async ({ page }) => {
	const email = await partnerSignedIn(page);
	const { id } = await approvedApplication(email, 'Tweesleutelapp');
	await page.goto(`/applicaties/${id}?tab=api-toegang`);
	await expect(page.getByText('Nog geen publieke sleutels geregistreerd.')).toBeVisible();

	// A private key pasted: the sentence beside the field.
	const first = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const second = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const field = page.getByLabel('JWK Set');
	await field.fill(JSON.stringify({ keys: [{ ...first.privateKey.export({ format: 'jwk' }), kid: 'oud' }] }));
	await page.getByRole('button', { name: 'Sleutels bewaren' }).click();
	await expect(page.locator('#jwks-error')).toHaveText(
		'Dit is een private sleutel: registreer alleen de publieke sleutel (zonder "d"). Houd de private sleutel bij jezelf.'
	);
	await expect(page.locator('#jwks')).toHaveAttribute('aria-describedby', /jwks-error/);

	const one = { ...first.publicKey.export({ format: 'jwk' }), kid: 'oud', use: 'sig' };
	const two = { ...second.publicKey.export({ format: 'jwk' }), kid: 'nieuw', use: 'sig' };
	await field.fill(JSON.stringify({ keys: [one, two] }));
	await page.getByRole('button', { name: 'Sleutels bewaren' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'De 2 publieke sleutels zijn bewaard.' })).toBeVisible();

	// After a reload the page reads them from the API: kid, type, thumbprint, the time added.
	await page.reload();
	const table = page.getByRole('region', { name: 'Geregistreerde sleutels' });
	const rows = table.getByRole('row');
	await expect(rows).toHaveCount(3);
	const oud = rows.filter({ hasText: 'oud' });
	await expect(oud).toContainText('EC P-256');
	await expect(oud).toContainText(ecThumbprint(one));
	await expect(rows.filter({ hasText: 'nieuw' })).toContainText(ecThumbprint(two));
	const added = await oud.locator('time').getAttribute('datetime');
	expect(added).toBeTruthy();
	await expect(oud.locator('time')).toHaveText(dateTime(added ?? ''));
	expect(dateTime(added ?? '')).toMatch(/^\d{1,2} [a-z]+ \d{4} om \d{2}:\d{2}$/);
	await expectAccessible(page);
	await screenshots(page, 'publieke-sleutels');
	// At 375 px the table scrolls inside its region; the page itself does not get wider.
	await page.setViewportSize({ width: 375, height: 812 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
	await page.setViewportSize({ width: 1280, height: 800 });

	// Removing "oud" by keyboard: Tab to its button, Enter, the dialog asks; Escape keeps it.
	await tabTo(page, 'button[aria-label="Sleutel oud verwijderen"]', 60);
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	const dialog = page.getByRole('dialog', { name: 'Sleutel verwijderen?' });
	await expect(dialog).toBeVisible();
	await expect(dialog).toContainText('oud');
	await page.keyboard.press('Escape');
	await expect(dialog).toBeHidden();
	await expect(rows).toHaveCount(3);
	await tabTo(page, 'button[aria-label="Sleutel oud verwijderen"]', 60);
	await page.keyboard.press('Enter');
	await expect(dialog).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'sleutel-verwijderen');
	await tabTo(page, 'dialog[open] button:text-is("Verwijderen")', 5);
	await page.keyboard.press('Enter');
	await expect(dialog).toBeHidden();
	await expect(page.getByRole('status').filter({ hasText: 'De sleutel oud is verwijderd.' })).toBeVisible();
	await expect(rows).toHaveCount(2);
	await expect(rows.nth(1)).toContainText('nieuw');
	await expect(page.getByRole('heading', { name: 'Publieke sleutels' })).toBeFocused();
	// And it stays removed: the API has one key left.
	await page.reload();
	await expect(page.getByRole('region', { name: 'Geregistreerde sleutels' }).getByRole('row')).toHaveCount(2);
	await expect(page.getByRole('region', { name: 'Geregistreerde sleutels' })).not.toContainText('oud');
});

test('a rejected application shows Informat\'s reason, and an edit sends it back to Nieuw', async ({ page }) => {
	const ctx = await api();
	const email = await partnerSignedIn(page);
	const token = await signInApi(ctx, email);
	const created = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name: 'Weigerapp', description: 'Te vaag.', contact_name: 'Tom', contact_email: email, apis: ['leerlingen'] }
	});
	const { id } = (await created.json()) as { id: string };
	const staff = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: 'Sterk!Wachtw00rd-Mod', groups: ['moderators'] }
	});
	const { id_token } = (await staff.json()) as { id_token: string };
	const rejected = await ctx.post(`/admin/applications/${id}/reject`, {
		headers: { authorization: `Bearer ${id_token}` },
		data: { reason: 'Beschrijf welke leerlingengegevens je gebruikt en waarvoor.' }
	});
	expect(rejected.status(), await rejected.text()).toBe(200);

	await page.goto('/applicaties');
	await expect(page.getByRole('row').filter({ hasText: 'Weigerapp' })).toContainText('Geweigerd');
	await page.getByRole('link', { name: 'Weigerapp' }).click();
	await expect(page.getByText('Beschrijf welke leerlingengegevens je gebruikt en waarvoor.')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'applicatie-geweigerd');
	await page.getByRole('button', { name: 'Bewerken' }).click();
	await page.getByLabel('Omschrijving').fill('Toont de klaslijsten (naam, klas) aan leerkrachten in de app.');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Je wijzigingen zijn opgeslagen.' })).toBeVisible();
	// It says where the application goes now (issue 22).
	await expect(page.getByRole('status').filter({ hasText: 'Je wijzigingen zijn opgeslagen.' })).toContainText(
		'De applicatie gaat terug naar Informat voor een nieuwe beoordeling'
	);
	await expect(page.locator('.section-head .status')).toHaveText('Nieuw');
});

test('Contactpersoon: an unconfirmed address, a new confirmation mail, the daily limit beside it, then confirmed by its owner', async ({ page, browser }) => {
	const ctx = await api();
	const email = await partnerSignedIn(page);
	const token = await signInApi(ctx, email);
	const contact = uniqueEmail('contact');
	const created = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name: 'Rapportenbundel', description: 'Een applicatie.', contact_name: 'Tom', contact_email: contact, apis: ['leerlingen'] }
	});
	expect(created.status(), await created.text()).toBe(201);
	const { id } = (await created.json()) as { id: string };
	await mailTo(ctx, contact, 'Bevestig je e-mailadres');

	await page.goto(`/applicaties/${id}`);
	const facts = page.getByRole('definition').filter({ hasText: contact });
	await expect(facts).toContainText('(nog niet bevestigd)');
	await expect(facts).toContainText('Dit adres ontvangt geen berichten over de applicatie');
	await expectAccessible(page);

	// Sent again twice; the fourth mail of the day to one address is refused beside the button.
	const resend = page.getByRole('button', { name: 'Bevestigingsmail opnieuw versturen' });
	for (let i = 0; i < 2; i++) {
		await resend.click();
		await expect(page.getByRole('status').filter({ hasText: `Er werd een nieuwe bevestigingsmail gestuurd naar ${contact}` })).toBeVisible();
	}
	await resend.click();
	await expect(page.locator('#contact_email-error')).toContainText('Probeer het morgen opnieuw.');
	await expect(resend).toHaveAttribute('aria-describedby', /contact_email-error/);
	await expectAccessible(page);
	await screenshots(page, 'contact-niet-bevestigd');

	// The contact opens the newest link in a browser of its own, and confirms with the button.
	const mail = await mailTo(ctx, contact, 'Bevestig je e-mailadres');
	const link = linkIn(mail, `${PORTAL}/contact-bevestigen?applicatie=${id}&token=`);
	const theirs = await browser.newContext({ baseURL: PORTAL });
	const them = await theirs.newPage();
	await them.goto(link);
	await expect(them.getByRole('heading', { level: 1, name: 'E-mailadres bevestigen' })).toBeVisible();
	await expectAccessible(them);
	await screenshots(them, 'contact-bevestigen');
	await tabTo(them, 'main button.button');
	await expect(them.getByRole('button', { name: 'Adres bevestigen' })).toBeFocused();
	await expectVisibleFocus(them);
	await them.keyboard.press('Enter');
	await expect(them.getByRole('status')).toContainText('Je e-mailadres is bevestigd als contact van de applicatie “Rapportenbundel”.');
	await expect(them).toHaveURL(`${PORTAL}/contact-bevestigen`);
	await expectAccessible(them);
	await screenshots(them, 'contact-bevestigd');
	// The link works once.
	await them.goto(link);
	await them.getByRole('button', { name: 'Adres bevestigen' }).click();
	await expect(them.getByRole('alert')).toContainText('Deze bevestigingslink is ongeldig, al gebruikt of verlopen.');
	await theirs.close();

	await page.reload();
	await expect(page.getByRole('definition').filter({ hasText: contact })).not.toContainText('nog niet bevestigd');
	await expect(page.getByRole('button', { name: 'Bevestigingsmail opnieuw versturen' })).toHaveCount(0);
});

test('API Documentatie: the token request as documented works against the stack; addresses, both examples, errors', async ({ page }) => {
	const ctx = await api();
	const clientId = `informat_docs_${Date.now().toString(36)}`;
	const clientSecret = 'Doc-Secret-van-de-school-1';
	const legacy = await ctx.post('/_local/legacy-clients', {
		data: { client_id: clientId, client_secret: clientSecret, scopes: ['leerlingen:012345', 'personeel:012345'] }
	});
	expect(legacy.status(), await legacy.text()).toBe(201);
	const email = await partnerSignedIn(page);
	const token = await signInApi(ctx, email);
	const linked = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name: 'Docapp', description: 'Leest de documentatie.', contact_name: 'Tom', contact_email: email, link: { client_id: clientId, client_secret: clientSecret } }
	});
	expect(linked.status(), await linked.text()).toBe(201);
	const { id } = (await linked.json()) as { id: string };

	await page.getByRole('navigation', { name: 'Partnermenu' }).getByRole('link', { name: 'API Documentatie' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'API Documentatie' })).toBeVisible();
	// The addresses are the stack's own API address.
	await expect(page.getByText(`${API}/oauth2/token`).first()).toBeVisible();
	await expect(page.getByRole('link', { name: `${API}/.well-known/jwks.json` })).toHaveAttribute('href', `${API}/.well-known/jwks.json`);
	const metadataUrl = `${API}/.well-known/oauth-authorization-server`;
	await expect(page.getByRole('link', { name: metadataUrl })).toHaveAttribute('href', metadataUrl);
	const metadata = (await (await ctx.get(metadataUrl)).json()) as Record<string, unknown>;
	expect(metadata.token_endpoint).toBe(`${API}/oauth2/token`);
	expect(metadata.jwks_uri).toBe(`${API}/.well-known/jwks.json`);
	// The 401 of HTTP Basic, where the manual says 400.
	await expect(page.locator('#basic-401')).toContainText('401 “invalid_client”');
	await expect(page.locator('#basic-401')).toContainText('RFC 6749 §5.2');
	await expect(page.locator('#basic-401')).toContainText('De handleiding vermeldt 400');
	const claims = JSON.parse((await page.locator('#assertion-claims').textContent()) ?? '') as Record<string, unknown>;
	expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
	expect(claims.aud).toBe(`${API}/oauth2/token`);
	await expectAccessible(page);

	// The table of contents works by keyboard.
	await tabTo(page, 'a[href="#fouten"]', 40);
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/#fouten$/);
	await expect(page.getByRole('heading', { name: 'Foutmeldingen' })).toBeInViewport();

	/** The documented curl command as a request: its URL, Basic user, form fields. */
	const documented = async (selector: string, values: Record<string, string>) => {
		let text = (await page.locator(selector).textContent()) ?? '';
		for (const [name, value] of Object.entries(values)) text = text.replaceAll(name, value);
		const url = /curl -X POST '([^']+)'/.exec(text)?.[1] ?? '';
		const user = /-u '([^']+)'/.exec(text)?.[1];
		const form = Object.fromEntries([...text.matchAll(/-d ['"]([^='"]+)=([^'"]*)['"]/g)].map((m) => [m[1], m[2]]));
		expect(text).toContain("-H 'Content-Type: application/x-www-form-urlencoded'");
		return { url, form, headers: user ? { authorization: `Basic ${Buffer.from(user).toString('base64')}` } : undefined };
	};
	const documentedAnswer = JSON.parse((await page.locator('#antwoord-secret').textContent()) ?? '') as Record<string, unknown>;

	// As documented, with HTTP Basic: a token with the documented fields.
	const basic = await documented('#voorbeeld-secret', { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret });
	expect(basic.url).toBe(`${API}/oauth2/token`);
	const issued = await ctx.post(basic.url, { headers: basic.headers, form: basic.form });
	expect(issued.status(), await issued.text()).toBe(200);
	const body = (await issued.json()) as Record<string, unknown>;
	expect(Object.keys(body).sort()).toEqual(Object.keys(documentedAnswer).sort());
	expect([body.token_type, body.expires_in, body.scope]).toEqual([documentedAnswer.token_type, documentedAnswer.expires_in, 'leerlingen:012345']);
	// With the secret in the body: every granted scope.
	const post = await documented('#voorbeeld-post', { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret });
	const all = await ctx.post(post.url, { form: post.form });
	expect(all.status(), await all.text()).toBe(200);
	expect(((await all.json()) as { scope: string }).scope).toBe('leerlingen:012345 personeel:012345');
	// A wrong secret: 401 with Basic, 400 in the body, as the page says.
	const wrongBasic = await documented('#voorbeeld-secret', { CLIENT_ID: clientId, CLIENT_SECRET: 'fout' });
	const refused = await ctx.post(wrongBasic.url, { headers: wrongBasic.headers, form: wrongBasic.form });
	expect(refused.status()).toBe(401);
	expect(refused.headers()['www-authenticate']).toMatch(/^Basic/);
	expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
	const wrongPost = await documented('#voorbeeld-post', { CLIENT_ID: clientId, CLIENT_SECRET: 'fout' });
	expect((await ctx.post(wrongPost.url, { form: wrongPost.form })).status()).toBe(400);

	// private_key_jwt as documented: the header and claims of the page, signed with a registered key.
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const header = JSON.parse((await page.locator('#assertion-header').textContent()) ?? '') as { kid: string };
	const keys = await ctx.put(`/applications/${id}/jwks`, {
		headers: { authorization: `Bearer ${token}` },
		data: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: header.kid }] }
	});
	expect(keys.status(), await keys.text()).toBe(200);
	const now = Math.floor(Date.now() / 1000);
	const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
	const input = `${b64(header)}.${b64({ ...claims, iss: clientId, sub: clientId, jti: randomUUID(), iat: now, exp: now + 120 })}`;
	const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
	const jwt = await documented('#voorbeeld-jwt', { $ASSERTION: `${input}.${signature}` });
	const jwtIssued = await ctx.post(jwt.url, { form: jwt.form });
	expect(jwtIssued.status(), await jwtIssued.text()).toBe(200);
	const jwtAnswer = JSON.parse((await page.locator('#antwoord-jwt').textContent()) ?? '') as Record<string, unknown>;
	expect(await jwtIssued.json()).toMatchObject({ token_type: 'Bearer', scope: jwtAnswer.scope });

	// At 375 px the code blocks scroll by themselves; the page does not get wider.
	await page.setViewportSize({ width: 375, height: 812 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
	expect(await page.locator('#voorbeeld-jwt').evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
	// The table of errors fits: every column readable without scrolling.
	expect(await page.getByRole('region', { name: 'Foutcodes' }).evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto('/api-documentatie');
	await expect(page.getByRole('heading', { level: 1, name: 'API Documentatie' })).toBeVisible();
	await screenshots(page, 'api-documentatie-volledig');
});

test('Applicaties shows fresh statuses: approved by a moderator while the page is open', async ({ page }) => {
	const ctx = await api();
	const email = await partnerSignedIn(page);
	const token = await signInApi(ctx, email);
	const created = await ctx.post('/applications', {
		headers: { authorization: `Bearer ${token}` },
		data: { name: 'Verse status', description: 'Een applicatie.', contact_name: 'Tom', contact_email: email, apis: ['leerlingen'] }
	});
	expect(created.status(), await created.text()).toBe(201);
	const { id } = (await created.json()) as { id: string };
	const menu = page.getByRole('navigation', { name: 'Partnermenu' });
	await menu.getByRole('link', { name: 'Applicaties' }).click();
	const row = page.getByRole('row').filter({ hasText: 'Verse status' });
	await expect(row).toContainText('Nieuw');

	const staff = await ctx.post('/_local/staff-users', {
		data: { email: uniqueEmail('moderator'), password: 'Sterk!Wachtw00rd-Mod', groups: ['moderators'] }
	});
	const { id_token } = (await staff.json()) as { id_token: string };
	const approved = await ctx.post(`/admin/applications/${id}/approve`, { headers: { authorization: `Bearer ${id_token}` } });
	expect(approved.status(), await approved.text()).toBe(200);

	// The partner follows the menu again (no reload): the status the API has now.
	await menu.getByRole('link', { name: 'Applicaties' }).click();
	await expect(row).toContainText('Goedgekeurd');
	await expect(row).not.toContainText('Nieuw');
	expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);

	// Back to the tab after the status changed again: read anew when the page is shown again.
	const archived = await ctx.post(`/admin/applications/${id}/archive`, { headers: { authorization: `Bearer ${id_token}` } });
	expect(archived.status(), await archived.text()).toBe(200);
	await page.evaluate(() => {
		Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
		document.dispatchEvent(new Event('visibilitychange'));
		Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
		document.dispatchEvent(new Event('visibilitychange'));
	});
	await expect(row).toContainText('Gearchiveerd');
	await screenshots(page, 'applicaties-vers');
});

test('at 375 px wide tables show that they scroll, ids stay whole, the profile\'s and application\'s logs are cards', async ({ page }) => {
	const email = await partnerSignedIn(page);
	const { id, client_id } = await approvedApplication(email, 'Smalle tabel');
	await page.setViewportSize({ width: 375, height: 812 });
	await page.goto('/applicaties');
	const region = page.getByRole('region', { name: 'Applicaties' });
	await expect(region.getByRole('row').filter({ hasText: 'Smalle tabel' })).toContainText(client_id);
	// Wider than the screen: a hint names it (and describes the region), the edge darkens.
	await expect(region).toHaveAttribute('data-scrolls', 'true');
	const hint = page.getByText('Schuif de tabel opzij om alle kolommen te zien');
	await expect(hint).toBeVisible();
	await expect(region).toHaveAttribute('aria-describedby', (await hint.getAttribute('id')) ?? 'geen');
	const shade = await region.evaluate((el) => getComputedStyle(el.parentElement as Element, '::after').backgroundImage);
	expect(shade).toContain('gradient');
	// The keyboard reaches the region and scrolls it; at its end the shade is gone.
	await region.focus();
	await expect(region).toBeFocused();
	await region.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
	await expect
		.poll(() => region.evaluate((el) => getComputedStyle(el.parentElement as Element, '::after').content))
		.toBe('none');
	// The client id is on one line: not cut mid-word.
	const cell = region.getByRole('cell', { name: client_id });
	const lines = await cell.evaluate((td) => {
		const range = document.createRange();
		range.selectNodeContents(td);
		return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
	});
	expect(lines).toBe(1);
	await expectAccessible(page);
	await screenshots(page, 'applicaties-scroll');

	// The logs are cards at 375 px, on the application's page and on Mijn profiel alike: each value
	// under its column's name, nothing to scroll.
	for (const [path, name] of [
		[`/applicaties/${id}?tab=logs`, 'Logs van de applicatie'],
		['/profiel', 'Logs van het partnerprofiel']
	] as const) {
		await page.goto(path);
		const logs = page.getByRole('region', { name });
		await expect(logs.getByRole('row').first()).toBeVisible();
		await expect(logs).toHaveAttribute('data-scrolls', 'false');
		const row = logs.locator('tbody tr').first();
		expect(await row.evaluate((tr) => getComputedStyle(tr).display)).toBe('block');
		expect(await row.locator('td').first().evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"Datum: "');
		await expectAccessible(page);
		await screenshots(page, path === '/profiel' ? 'profiel-logs-kaarten' : 'applicatie-logs-kaarten');
	}
	// An address in a table wraps after its @ or before a dot, never inside a word.
	const users = page.getByRole('region', { name: 'Gekoppelde gebruikers' });
	const pieces = await users.getByRole('cell', { name: email }).evaluate((td) => {
		const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
		const lines: number[] = [];
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (!n.textContent) continue;
			const range = document.createRange();
			range.selectNodeContents(n);
			lines.push(new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size);
		}
		return { lines, height: td.getBoundingClientRect().height };
	});
	expect(pieces.lines.length).toBeGreaterThan(1);
	expect(pieces.lines.every((n) => n === 1)).toBe(true);
	// The hint sits right above its table.
	const gap = await users.evaluate((el) => {
		const hint = document.getElementById(el.getAttribute('aria-describedby') ?? '');
		return hint ? el.getBoundingClientRect().top - hint.getBoundingClientRect().bottom : -1;
	});
	expect(gap).toBeGreaterThanOrEqual(0);
	expect(gap).toBeLessThan(10);
	await screenshots(page, 'profiel-gebruikers-scroll');
	// At 1280 px the list fits: no hint.
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto('/applicaties');
	await expect(page.getByRole('region', { name: 'Applicaties' })).toHaveAttribute('data-scrolls', 'false');
	await expect(hint).toHaveCount(0);
});
