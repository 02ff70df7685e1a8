import { expect } from '@playwright/test';
import { approve, moderator, moderatorToken, partnerWithApplication, PORTAL, staffSignIn, staffUser } from './backoffice';
import { api, expectAccessible, mailTo, PASSWORD, png, screenshots, tabTo, test } from './support';

// Informat's moderators in the back office: the queue, what will be published (logo, categories,
// extra info, website) and the application's history, a rejection with a reason the partner
// reads (and resubmits), archiving, a partner's deactivation with a reason and activation,
// blocked scopes.

test('Weigeren with a reason in the back office: the partner reads it, edits, and the app is back in the queue', async ({ page, browser }) => {
	const ctx = await api();
	const app = await partnerWithApplication(ctx, ['leerlingen']);
	const logo = await ctx.put('/profile/logo', {
		headers: { authorization: `Bearer ${app.token}`, 'content-type': 'image/png' },
		data: png(120, 60, [200, 40, 40])
	});
	expect(logo.status(), await logo.text()).toBe(200);
	const mod = await moderator(ctx);
	await staffSignIn(page, mod);
	await expect(page).toHaveURL(/\/beheer\/moderatie$/);
	await expect(page.getByRole('link', { name: 'Nieuw' })).toHaveAttribute('aria-current', 'page');
	await expectAccessible(page);
	await screenshots(page, 'beheer-moderatie');

	await page.getByRole('row').filter({ hasText: app.name }).getByRole('link', { name: app.name }).click();
	await expect(page.getByRole('heading', { level: 1, name: app.name })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: app.email }).first()).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: 'Kerkstraat 1, 2000 Antwerpen, België' })).toBeVisible();
	// What the directory will show: the logo (not listed yet, still shown), categories, extra
	// info, website.
	const img = page.getByRole('img', { name: `Logo van ${app.partner}` });
	await expect(img).toBeVisible();
	await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(120);
	await expect(page.getByRole('definition').filter({ hasText: 'HRM' })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: 'Werkt ook met Smartschool.' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'https://www.voorbeeld.be' })).toBeVisible();
	await expect(page.getByRole('region', { name: 'Geschiedenis van de applicatie' })).toContainText('Nieuw');
	await expectAccessible(page);
	await screenshots(page, 'beheer-moderatie-detail');

	// The reason is required: refused beside its field, then given.
	await page.getByRole('button', { name: 'Weigeren' }).click();
	const dialog = page.getByRole('dialog', { name: 'Applicatie weigeren' });
	await expect(dialog.getByLabel('Reden van weigering')).toBeFocused();
	await dialog.getByRole('button', { name: 'Weigeren' }).click();
	await expect(dialog.locator('#reason-error')).toContainText('Geef een reden');
	await expect(dialog.getByLabel('Reden van weigering')).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'beheer-weigeren');
	const reason = 'Beschrijf welke leerlingengegevens je gebruikt en waarvoor.';
	await dialog.getByLabel('Reden van weigering').fill(reason);
	await dialog.getByRole('button', { name: 'Weigeren' }).click();
	await expect(dialog).toBeHidden();
	await expect(page.getByRole('status').filter({ hasText: 'De applicatie is geweigerd.' })).toBeVisible();
	await expect(page.locator('.section-head.first .status')).toHaveText('Geweigerd');
	await expect(page.getByRole('region', { name: 'Geweigerd', exact: true })).toContainText(reason);
	await expect(page.getByRole('button', { name: 'Goedkeuren' })).toHaveCount(0);
	const mail = await mailTo(ctx, app.email, app.name);
	expect(mail.text).toContain(reason);

	// The partner reads the reason on the application and edits it: back to Nieuw.
	const partner = await (await browser.newContext({ baseURL: PORTAL })).newPage();
	await partner.goto('/aanmelden');
	await partner.getByLabel('E-mailadres').fill(app.email);
	await partner.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await partner.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(partner.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeVisible();
	await partner.goto(`/applicaties/${app.id}`);
	await expect(partner.getByText(reason)).toBeVisible();
	await partner.getByRole('button', { name: 'Bewerken' }).click();
	await partner.getByLabel('Omschrijving').fill('Toont de klaslijsten (naam, klas) aan leerkrachten in de app.');
	await partner.getByRole('button', { name: 'Opslaan' }).click();
	await expect(partner.locator('.section-head .status')).toHaveText('Nieuw');
	await partner.context().close();

	// Back in the moderators' queue as Nieuw, the reason gone.
	await page.getByRole('link', { name: '← Moderatie' }).click();
	await page.getByRole('link', { name: 'Nieuw', exact: true }).click();
	await expect(page.getByRole('row').filter({ hasText: app.name })).toContainText('Nieuw');
	// Reviewed again: the earlier rejection with its reason and when, and the edit in the history.
	await page.getByRole('row').filter({ hasText: app.name }).getByRole('link', { name: app.name }).click();
	await expect(page.locator('.section-head.first .status')).toHaveText('Nieuw');
	const earlier = page.getByRole('region', { name: 'Eerder geweigerd' });
	await expect(earlier).toContainText(reason);
	await expect(earlier.locator('time')).toHaveCount(1);
	const history = page.getByRole('region', { name: 'Geschiedenis van de applicatie' });
	await expect(history.getByRole('row').filter({ hasText: 'Reden' })).toContainText(reason);
	await expect(history.getByRole('row').filter({ hasText: 'Toont de klaslijsten' })).toContainText('Omschrijving');
	await expectAccessible(page);
	await screenshots(page, 'beheer-moderatie-eerder-geweigerd');
	await page.getByRole('link', { name: '← Moderatie' }).click();
	await page.getByRole('link', { name: 'Geweigerd', exact: true }).click();
	await expect(page).toHaveURL(/status=rejected/);
	await expect(page.getByRole('row').filter({ hasText: app.name })).toHaveCount(0);
});

test('Archiveren, a partner deactivated with a reason and activated again, and blocked scopes removed', async ({ page, browser }) => {
	const ctx = await api();
	const app = await partnerWithApplication(ctx, ['leerlingen']);
	const clientId = await approve(ctx, await moderatorToken(ctx), app.id);
	const mod = await moderator(ctx);
	await staffSignIn(page, mod);
	await page.goto(`/beheer/moderatie/${app.id}`);
	await expect(page.getByRole('heading', { level: 1, name: app.name })).toBeVisible();
	await expect(page.getByRole('heading', { level: 2, name: `Client ${clientId}` })).toBeVisible();
	await expect(page.getByText('Geen geblokkeerde scopes')).toBeVisible();

	// Deactivate, with a reason; Annuleren changes nothing.
	await page.getByRole('button', { name: 'Partner deactiveren' }).click();
	const off = page.getByRole('dialog', { name: 'Partner deactiveren' });
	await expect(off).toContainText(app.partner);
	await expect(off.getByLabel('Reden van deactivering')).toBeFocused();
	await page.keyboard.press('Escape');
	await expect(off).toBeHidden();
	await expect(page.getByText('Actief', { exact: true })).toBeVisible();

	// By keyboard alone: the reason is required, and refused beside its field when too long.
	await expect(page.getByRole('button', { name: 'Partner deactiveren' })).toBeFocused();
	await page.keyboard.press('Enter');
	const field = off.getByLabel('Reden van deactivering');
	await expect(field).toBeFocused();
	await tabTo(page, 'dialog[open] button[type="submit"]');
	await page.keyboard.press('Enter');
	await expect(off.locator('#deactivate-reason-error')).toContainText('Geef een reden');
	await expect(field).toBeFocused();
	await expect(field).toHaveAttribute('aria-invalid', 'true');
	await expectAccessible(page);
	await screenshots(page, 'beheer-partner-deactiveren');
	await field.fill('x'.repeat(1001));
	await tabTo(page, 'dialog[open] button[type="submit"]');
	await page.keyboard.press('Enter');
	await expect(off.locator('#deactivate-reason-error')).toContainText('Gebruik maximaal 1000 karakters (nu 1001).');
	await expect(field).toBeFocused();
	await field.fill('');
	const why = 'De applicatie vraagt meer gegevens op dan ze nodig heeft.';
	await page.keyboard.type(why);
	await tabTo(page, 'dialog[open] button[type="submit"]');
	await page.keyboard.press('Enter');
	await expect(off).toBeHidden();
	await expect(page.getByRole('status').filter({ hasText: 'De partner is gedeactiveerd' })).toBeVisible();
	await expect(page.getByText('Gedeactiveerd', { exact: true })).toBeVisible();
	const profile = await ctx.get('/profile', { headers: { authorization: `Bearer ${app.token}` } });
	expect(((await profile.json()) as { active: boolean }).active).toBe(false);
	// The partner's mail says what happened and why.
	const offMail = await mailTo(ctx, app.email, 'is gedeactiveerd');
	expect(offMail.subject).toBe('Je partnerprofiel in het Informat Partnerportaal is gedeactiveerd');
	expect(offMail.text).toContain(why);

	// The partner's own list says Gedeactiveerd, and offers no new application.
	const partner = await (await browser.newContext({ baseURL: PORTAL })).newPage();
	await partner.goto('/aanmelden');
	await partner.getByLabel('E-mailadres').fill(app.email);
	await partner.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await partner.getByRole('button', { name: 'Aanmelden' }).click();
	await expect(partner.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeVisible();
	await partner.goto('/applicaties');
	await expect(partner.getByRole('row').filter({ hasText: app.name })).toContainText('Gedeactiveerd');
	await expect(partner.getByRole('status').filter({ hasText: 'Gedeactiveerd.' })).toBeVisible();
	await expect(partner.getByRole('button', { name: 'Applicatie toevoegen' })).toHaveCount(0);
	await expectAccessible(partner);
	await screenshots(partner, 'applicaties-gedeactiveerd');
	await partner.context().close();

	await page.getByRole('button', { name: 'Partner activeren' }).click();
	let confirm = page.getByRole('dialog', { name: 'Partner activeren' });
	// A confirmation has no field: the focus starts on its first button, not on the alert region.
	await expect(confirm.getByRole('button', { name: 'Annuleren' })).toBeFocused();
	await confirm.getByRole('button', { name: 'Activeren' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'De partner is opnieuw actief.' })).toBeVisible();
	await expect(page.getByText('Actief', { exact: true })).toBeVisible();
	expect((await mailTo(ctx, app.email, 'opnieuw geactiveerd')).subject).toBe(
		'Je partnerprofiel in het Informat Partnerportaal is opnieuw geactiveerd'
	);

	// Archiveren: final; the queue lists it under Gearchiveerd.
	await page.getByRole('button', { name: 'Archiveren' }).click();
	confirm = page.getByRole('dialog', { name: 'Applicatie archiveren' });
	await confirm.getByRole('button', { name: 'Archiveren' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'De applicatie is gearchiveerd.' })).toBeVisible();
	await expect(page.locator('.section-head.first .status')).toHaveText('Gearchiveerd');
	await expect(page.getByRole('button', { name: 'Archiveren' })).toHaveCount(0);
	await page.goto('/beheer/moderatie?status=archived');
	await expect(page.getByRole('row').filter({ hasText: app.name })).toContainText('Gearchiveerd');

	// An existing client with scopes of an inactive access group: found by its ID, removed.
	const legacy = `informat_school_${Date.now().toString(36)}`;
	const loaded = await ctx.post('/_local/legacy-clients', {
		data: {
			client_id: legacy,
			client_secret: 'Oud-Secret-van-de-school-123',
			scopes: ['leerlingen:012345', 'rekeningen:012345'],
			inactive_scopes: ['rekeningen:012345:groep-2019']
		}
	});
	expect(loaded.status(), await loaded.text()).toBeLessThan(300);
	await page.getByRole('navigation', { name: 'Beheermenu' }).getByRole('link', { name: 'Clients' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Clients' })).toBeVisible();
	await page.getByRole('button', { name: 'Opzoeken' }).click();
	await expect(page.locator('#client_id-error')).toContainText('Vul een client ID in.');
	await expectAccessible(page);
	await screenshots(page, 'beheer-clients');
	await page.getByLabel('Client ID').fill('bestaat_niet');
	await page.getByRole('button', { name: 'Opzoeken' }).click();
	await expect(page.getByRole('alert').filter({ hasText: 'bestaat niet' })).toBeVisible();
	await page.goto('/beheer/clients');
	await page.getByLabel('Client ID').fill(legacy);
	await page.getByRole('button', { name: 'Opzoeken' }).click();
	await expect(page).toHaveURL(new RegExp(`/beheer/clients/${legacy}$`));
	await expect(page.getByText('rekeningen:012345:groep-2019', { exact: true })).toBeVisible();
	await expect(page.getByText('Nog niet gekoppeld')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-client');
	await page.getByRole('button', { name: 'Geblokkeerde scopes verwijderen' }).click();
	const remove = page.getByRole('dialog', { name: 'Geblokkeerde scopes verwijderen' });
	await expect(remove.getByRole('button', { name: 'Annuleren' })).toBeFocused();
	await remove.getByRole('button', { name: 'Verwijderen' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'De geblokkeerde scope is verwijderd.' })).toBeVisible();
	await expect(page.getByText('Geen geblokkeerde scopes')).toBeVisible();
	await expect(page.getByText('rekeningen:012345:groep-2019', { exact: true })).toHaveCount(0);
	// The partner can now verify the client.
	const verified = await ctx.post('/client-credentials/verify', {
		headers: { authorization: `Bearer ${app.token}` },
		data: { client_id: legacy, client_secret: 'Oud-Secret-van-de-school-123' }
	});
	expect(verified.status(), await verified.text()).toBe(200);
});

test('a school administrator has no place in moderation: the API says so in Dutch', async ({ page }) => {
	const ctx = await api();
	const email = await staffUser(ctx, 'geen-rechten');
	await staffSignIn(page, email);
	await expect(page.getByRole('heading', { level: 1, name: 'Beheer' })).toBeVisible();
	await expect(page.getByText('Je account heeft geen beheerdersrechten voor een school')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-geen-rechten');
	await page.goto('/beheer/moderatie');
	await expect(page.getByRole('alert')).not.toBeEmpty();
});
