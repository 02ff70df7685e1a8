import { expect, type Browser, type Page } from '@playwright/test';
import { BACKOFFICE, fillInformatSignIn, fillStaffSignIn, moderator, PORTAL, schoolAdmin, staffSignIn, staffUser, tokenRequest, uniqueInstitution } from './backoffice';
import { activeAccount, api, expectAccessible, linkIn, mailTo, PASSWORD, png, screenshots, test, uniqueEmail } from './support';

// The whole manual in the browser: a partner registers and sets up, Informat approves in the
// back office, a school administrator grants from the mail's link, the token carries exactly
// that; then the administrator adjusts and revokes on the school's page.

async function newPage(browser: Browser): Promise<Page> {
	const context = await browser.newContext({ baseURL: PORTAL });
	return context.newPage();
}

test('the manual end to end: partner, moderator and school administrator in the browser, and the token follows', async ({ page, browser }) => {
	test.setTimeout(240_000);
	const ctx = await api();

	// Stap 1: Registreer een partneraccount, activate from the mail, sign in.
	const email = uniqueEmail('handleiding');
	await page.goto('/registreren');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByLabel('Ik ga akkoord met de voorwaarden en het privacybeleid').check();
	await page.getByRole('button', { name: 'Registreren' }).click();
	await expect(page.getByRole('heading', { name: 'Controleer je mailbox' })).toBeVisible();
	const activation = linkIn(await mailTo(ctx, email, 'Activeer je partneraccount'), `${PORTAL}/activeren?token=`);
	await page.goto(activation);
	await expect(page.getByText('Je account is geactiveerd. Meld je aan om verder te gaan.')).toBeVisible();
	await page.goto('/aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();

	// Stap 2: Nieuw profiel toevoegen, with a logo.
	await page.getByRole('link', { name: 'Nieuw profiel toevoegen' }).click();
	const partner = `Handleiding BV ${Date.now().toString(36)}`;
	await page.getByLabel('Naam*').fill(partner);
	await page.getByLabel('Omschrijving*').fill('Zet klaslijsten uit Informat in een lesplanner.');
	await page.getByLabel('Contactpersoon').fill('Els Janssens');
	await page.getByLabel('Straat en nummer').fill('Stationsstraat 12');
	await page.getByLabel('Postcode').fill('9000');
	await page.getByLabel('Gemeente').fill('Gent');
	await page.getByLabel('Publiek').check();
	await page.getByLabel('Communiceren').check();
	await page.getByLabel('Website*').fill('https://www.handleiding.be');
	await page.getByLabel('Logo*').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(120, 60, [20, 90, 160]) });
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Je partnerprofiel is toegevoegd.' })).toBeVisible();

	// Gebruiker koppelen: a colleague links with the code, in a browser of their own.
	await page.getByRole('button', { name: 'Gebruiker koppelen' }).click();
	const invite = page.getByRole('dialog', { name: 'Gebruiker koppelen' });
	const code = (await invite.locator('#uitnodigingscode').innerText()).trim();
	await page.keyboard.press('Escape');
	const colleague = uniqueEmail('collega');
	await activeAccount(ctx, colleague, PORTAL);
	const them = await newPage(browser);
	await them.goto('/aanmelden');
	await them.getByLabel('E-mailadres').fill(colleague);
	await them.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await them.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await them.getByRole('link', { name: 'Met bestaand profiel koppelen' }).click();
	await them.getByLabel('Uitnodigingscode').fill(code);
	await them.getByRole('button', { name: 'Koppelen' }).click();
	await expect(them.getByRole('heading', { level: 2, name: partner })).toBeVisible();
	await them.context().close();

	// Stap 3: Applicatie toevoegen, a new client ID: status Nieuw.
	await page.getByRole('navigation', { name: 'Partnermenu' }).getByRole('link', { name: 'Applicaties' }).click();
	await page.getByRole('button', { name: 'Applicatie toevoegen' }).click();
	await page.getByRole('dialog', { name: 'Nieuwe applicatie toevoegen' }).getByLabel('Ik vraag een nieuwe client ID aan').check();
	await page.getByRole('button', { name: 'Doorgaan' }).click();
	const appName = `Lesplanner ${Date.now().toString(36)}`;
	await page.getByLabel('Naam').fill(appName);
	await page.getByLabel('Omschrijving').fill('Plant lessen met de klaslijsten uit Informat.');
	await page.getByLabel('Contactpersoon').fill('Tom Peeters');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Leerlingen').check();
	await page.getByLabel('Personeel').check();
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('row').filter({ hasText: appName })).toContainText('Nieuw');

	// Informat: a moderator signs in at /beheer/aanmelden and approves in the queue.
	const mod = await moderator(ctx);
	const informat = await newPage(browser);
	await informat.goto('/beheer');
	await expect(informat).toHaveURL(/\/beheer\/aanmelden\?terug=/);
	await fillStaffSignIn(informat, mod);
	await expect(informat).toHaveURL(/\/beheer\/moderatie$/);
	await expect(informat.getByRole('heading', { level: 1, name: 'Moderatie' })).toBeVisible();
	const queued = informat.getByRole('row').filter({ hasText: appName });
	await expect(queued).toContainText(partner);
	await expect(queued).toContainText('Nieuw');
	await queued.getByRole('link', { name: appName }).click();
	await expect(informat.getByRole('heading', { level: 1, name: appName })).toBeVisible();
	await expect(informat.getByRole('definition').filter({ hasText: 'Els Janssens' })).toBeVisible();
	await informat.getByRole('button', { name: 'Goedkeuren' }).click();
	await expect(informat.getByRole('status').filter({ hasText: 'De applicatie is goedgekeurd' })).toBeVisible();
	await expect(informat.locator('.section-head.first .status')).toHaveText('Goedgekeurd');
	await informat.context().close();
	await mailTo(ctx, email, appName);

	// Stap 4: the partner generates a secret and asks a school administrator for access.
	await page.reload();
	await page.getByRole('link', { name: appName }).click();
	await page.getByRole('link', { name: 'API toegang' }).click();
	const clientId = (await page.getByRole('definition').locator('code').first().innerText()).trim();
	await page.getByRole('button', { name: 'Genereer secret' }).click();
	const secret = (await page.locator('#client-secret').innerText()).trim();
	expect(secret.length).toBeGreaterThan(20);
	expect((await tokenRequest(ctx, clientId, secret)).body.error).toBe('invalid_scope');

	const school = uniqueInstitution();
	const admin = await schoolAdmin(ctx, 'schoolbeheerder', `leerlingen:${school} personeel:${school}`);
	await page.getByRole('button', { name: 'Toegang aanvragen' }).click();
	const ask = page.getByRole('dialog', { name: 'Versturen aanvraag API-toegang' });
	await ask.getByLabel('E-mailadres Informatbeheerder(s)').fill(admin);
	await ask.getByRole('button', { name: 'Versturen' }).click();
	await expect(ask).toBeHidden();

	// The administrator opens the mail's link, signs in on the page it lands on, and grants
	// Leerlingen only.
	const mail = await mailTo(ctx, admin, 'Datatoegang voor applicatie');
	const link = linkIn(mail, `${BACKOFFICE}/toegang/`);
	const beheerder = await newPage(browser);
	await beheerder.goto(link);
	await expect(beheerder).toHaveURL(/\/beheer\/aanmelden\?terug=/);
	await expect(beheerder.getByText('Meld je aan om de aanvraag voor datatoegang te bekijken.')).toBeVisible();
	await fillInformatSignIn(beheerder, admin);
	await expect(beheerder).toHaveURL(link);
	await expect(beheerder.getByRole('heading', { level: 1, name: `Datatoegang voor applicatie ${appName}` })).toBeVisible();
	await expect(beheerder.getByRole('definition').filter({ hasText: 'Leerlingen, Personeel' })).toBeVisible();
	await expect(beheerder.getByText(partner).first()).toBeVisible();
	const logo = beheerder.getByRole('img', { name: `Logo van ${partner}` });
	await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(120);
	await expectAccessible(beheerder);
	await screenshots(beheerder, 'beheer-toegang-met-logo');
	await expect(beheerder.getByLabel('School (instellingsnummer)')).toHaveValue(school);
	await expect(beheerder.getByLabel('Leerlingen')).not.toBeChecked();
	await expect(beheerder.getByLabel('Personeel')).not.toBeChecked();
	await beheerder.getByLabel('Leerlingen').check();
	await beheerder.getByRole('button', { name: 'Toegang verlenen' }).click();
	await expect(beheerder.getByRole('status').filter({ hasText: `Toegang verleend voor instelling ${school}: Leerlingen.` })).toBeVisible();

	// The partner sees the access on API toegang; the token carries exactly that scope.
	await page.reload();
	const access = page.getByRole('region', { name: 'Toegang per school' });
	await expect(access.getByRole('row').filter({ hasText: school })).toContainText('Leerlingen');
	await expect(access.getByRole('row').filter({ hasText: school })).toContainText(admin);
	let answer = await tokenRequest(ctx, clientId, secret);
	expect(answer.status, JSON.stringify(answer.body)).toBe(200);
	expect(answer.body.scope).toBe(`leerlingen:${school}`);

	// On the school's page the administrator adds Personeel, then revokes everything.
	await beheerder.getByRole('link', { name: `Bekijk de applicaties van school ${school}` }).click();
	await expect(beheerder.getByRole('heading', { level: 1, name: `Applicaties met toegang · school ${school}` })).toBeVisible();
	const card = beheerder.getByRole('listitem').filter({ has: beheerder.getByRole('heading', { name: appName }) });
	await expect(card).toContainText(partner);
	await card.getByRole('button', { name: `Toegang aanpassen voor ${appName}` }).click();
	await card.getByLabel('Personeel').check();
	await card.getByRole('button', { name: 'Opslaan' }).click();
	await expect(beheerder.getByRole('status').filter({ hasText: 'is aangepast: Leerlingen, Personeel' })).toBeVisible();
	answer = await tokenRequest(ctx, clientId, secret);
	expect(answer.body.scope).toBe(`leerlingen:${school} personeel:${school}`);

	await card.getByRole('button', { name: `Toegang intrekken voor ${appName}` }).click();
	const revoke = beheerder.getByRole('dialog', { name: 'Toegang intrekken' });
	await expect(revoke).toContainText(appName);
	await revoke.getByRole('button', { name: 'Intrekken' }).click();
	await expect(beheerder.getByRole('status').filter({ hasText: 'is ingetrokken' })).toBeVisible();
	await expect(beheerder.getByText('Er zijn nog geen applicaties met toegang tot de gegevens van deze school.')).toBeVisible();
	answer = await tokenRequest(ctx, clientId, secret);
	expect(answer.status).toBe(400);
	expect(answer.body.error).toBe('invalid_scope');
	await page.reload();
	await expect(page.getByText('Nog geen school heeft toegang verleend.')).toBeVisible();
	await beheerder.context().close();
});
