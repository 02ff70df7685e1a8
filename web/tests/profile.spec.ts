import { expect, type Page } from '@playwright/test';
import {
	activeAccount,
	api,
	expectAccessible,
	expectVisibleFocus,
	PASSWORD,
	png,
	screenshots,
	signInApi,
	tabTo,
	uniqueEmail,
	test
} from './support';
import { date, dateTime } from '../src/lib/time';

const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

/** Signs in through the page; an account without a profile lands on Welkom!, one with on Mijn profiel. */
async function signIn(page: Page, email: string, lands: '/welkom' | '/profiel' = '/welkom'): Promise<void> {
	await page.goto('/aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page).toHaveURL(new RegExp(`${lands}$`));
	const heading = lands === '/welkom' ? 'Welkom!' : 'Mijn profiel';
	await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

test('Nieuw profiel toevoegen: every field of the manual, errors beside them, a logo with a preview', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('profiel');
	await activeAccount(ctx, email, PORTAL);
	await signIn(page, email);

	await page.getByRole('link', { name: 'Nieuw profiel toevoegen' }).click();
	await expect(page).toHaveURL(/\/profiel\/nieuw$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Partnerprofiel toevoegen' })).toBeVisible();
	// The creator's email is shown read-only.
	await expect(page.getByLabel('E-mailadres')).toHaveValue(email);
	await expect(page.getByLabel('E-mailadres')).toHaveAttribute('readonly', '');
	await expectAccessible(page);
	await screenshots(page, 'profiel-nieuw');

	// Nothing filled in (and "Publiek" unchecked is a valid choice): every required field refused.
	await page.getByRole('button', { name: 'Opslaan' }).click();
	const refused = {
		name: '#name',
		description: '#description',
		contact_name: '#contact_name',
		'address.street': '#address-street',
		'address.postal_code': '#address-postal_code',
		'address.city': '#address-city',
		website: '#website'
	};
	for (const selector of Object.values(refused)) {
		await expect(page.locator(selector)).toHaveAttribute('aria-invalid', 'true');
		const describedBy = (await page.locator(selector).getAttribute('aria-describedby')) ?? '';
		const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'));
		expect(errorId, `${selector} names its error`).toBeTruthy();
		await expect(page.locator(`#${errorId}`)).toBeVisible();
	}
	await expect(page.locator('#categories-error')).toContainText('Kies minstens één categorie.');
	// The logo is required (the manual's J, issue 22).
	await expect(page.locator('#logo-error')).toContainText('Kies een logo');
	await expect(page.locator('#logo')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByRole('alert').first()).toContainText('Bekijk de foutmeldingen per veld');
	await expect(page.locator('#name')).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'profiel-nieuw-fouten');

	// A wrong KBO number (check digits) and an SVG logo: both refused beside their field.
	const name = `Schoolbord ${Date.now().toString(36)}`;
	await page.getByLabel('Naam*').fill(name);
	await page.getByLabel('Ondernemingsnummer').fill('0123.456.789');
	await page.getByLabel('Omschrijving*').fill('Schoolbord zet lesroosters en klaslijsten uit Informat op het digitale bord.');
	await page.getByLabel('Contactpersoon').fill('Els Janssens');
	await page.getByLabel('Straat en nummer').fill('Stationsstraat 12');
	await page.getByLabel('Postcode').fill('9000');
	await page.getByLabel('Gemeente').fill('Gent');
	await expect(page.getByLabel('Land')).toHaveValue('BE');
	await page.getByLabel('Publiek').check();
	await page.getByLabel('Communiceren').check();
	// Typed as people type it (issue 22): without https://, stored as https://www.schoolbord.be/.
	await page.getByLabel('Website*').fill('www.schoolbord.be');
	await page.getByLabel('Extra info*').fill('Voor meer info, neem contact met de helpdesk van Schoolbord.');
	// Everything but the logo: still not saved, and the logo's error is the one left.
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#logo-error')).toContainText('Kies een logo');
	await expect(page.locator('#name')).not.toHaveAttribute('aria-invalid', 'true');
	await expect(page.locator('#logo')).toBeFocused();
	const me = await ctx.get('/me', { headers: { authorization: `Bearer ${await signInApi(ctx, email)}` } });
	expect(((await me.json()) as { profile: unknown }).profile).toBeNull();
	await page.getByLabel('Logo*').setInputFiles({
		name: 'logo.svg',
		mimeType: 'image/svg+xml',
		buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')
	});
	await expect(page.locator('#logo-error')).toContainText('SVG');
	await page.getByLabel('Logo*').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(160, 80, [200, 40, 40]) });
	await expect(page.locator('#logo-error')).toHaveCount(0);
	const preview = page.getByRole('img', { name: 'Voorbeeld van het logo' });
	await expect(preview).toBeVisible();
	await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(160);
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#enterprise_number-error')).toBeVisible();
	await expect(page.locator('#name')).not.toHaveAttribute('aria-invalid', 'true');
	await expect(page.locator('#enterprise_number')).toBeFocused();

	await page.getByLabel('Ondernemingsnummer').fill('BE0123456749');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page).toHaveURL(/\/profiel$/);
	await expect(page.getByRole('status').filter({ hasText: 'Je partnerprofiel is toegevoegd.' })).toBeVisible();
	await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: '0123.456.749' })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: 'Els Janssens' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'https://www.schoolbord.be/' })).toHaveAttribute('href', 'https://www.schoolbord.be/');
	await expect(page.getByText('Publiek', { exact: true })).toBeVisible();
	const logo = page.getByRole('img', { name: `Logo van ${name}` });
	await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(160);
	await expect(page.locator('#logo-gevraagd')).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'profiel');

	// Welkom! now leads on to the profile.
	await page.goto('/welkom');
	await expect(page).toHaveURL(/\/profiel$/);

	// Another account cannot take the same name: the manual's message beside the name.
	const other = uniqueEmail('dubbel');
	await activeAccount(ctx, other, PORTAL);
	await page.getByRole('button', { name: 'Afmelden' }).click();
	await signIn(page, other);
	await page.getByRole('link', { name: 'Nieuw profiel toevoegen' }).click();
	await page.getByLabel('Naam*').fill(name.toUpperCase());
	await page.getByLabel('Omschrijving*').fill('Een tweede poging.');
	await page.getByLabel('Contactpersoon').fill('Piet');
	await page.getByLabel('Straat en nummer').fill('Markt 1');
	await page.getByLabel('Postcode').fill('8000');
	await page.getByLabel('Gemeente').fill('Brugge');
	await page.getByLabel('HRM').check();
	await page.getByLabel('Website*').fill('https://www.voorbeeld.be');
	await page.getByLabel('Logo*').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(40, 40, [10, 10, 10]) });
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#name-error')).toContainText('Er bestaat al een profiel met als naam');
	await expect(page.locator('#name')).toBeFocused();
});

test('Met bestaand profiel koppelen: paste the invitation code', async ({ page }) => {
	const ctx = await api();
	// A partner with a profile makes a code ("Gebruiker koppelen"), over HTTP.
	const owner = uniqueEmail('eigenaar');
	await activeAccount(ctx, owner, PORTAL);
	const token = await signInApi(ctx, owner);
	const auth = { authorization: `Bearer ${token}` };
	const name = `Leerwolk ${Date.now().toString(36)}`;
	const created = await ctx.post('/profile', {
		headers: auth,
		data: {
			name,
			description: 'Leerplatform.',
			contact_name: 'Jan',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: false,
			categories: ['hrm'],
			website: 'https://www.leerwolk.be'
		}
	});
	expect(created.status(), await created.text()).toBe(201);
	const invitation = await ctx.post('/profile/invitations', { headers: auth });
	expect(invitation.status(), await invitation.text()).toBe(201);
	const { code } = (await invitation.json()) as { code: string };

	const colleague = uniqueEmail('collega');
	await activeAccount(ctx, colleague, PORTAL);
	await signIn(page, colleague);
	await page.getByRole('link', { name: 'Met bestaand profiel koppelen' }).click();
	await expect(page).toHaveURL(/\/profiel\/koppelen$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Koppelen met partnerprofiel' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'profiel-koppelen');

	await page.getByLabel('Uitnodigingscode').fill('geen-geldige-code');
	await page.getByRole('button', { name: 'Koppelen' }).click();
	await expect(page.locator('#code-error')).toContainText('Deze uitnodigingscode is ongeldig');
	await expect(page.locator('#code')).toHaveAttribute('aria-invalid', 'true');
	// Said once, beside the field (issue 22).
	await expect(page.getByText('Deze uitnodigingscode is ongeldig')).toHaveCount(1);
	await expect(page.locator('#code')).toBeFocused();
	await expectAccessible(page);

	await page.getByLabel('Uitnodigingscode').fill(code);
	await page.getByRole('button', { name: 'Koppelen' }).click();
	await expect(page).toHaveURL(/\/profiel$/);
	await expect(page.getByText(`Je account is gekoppeld aan het partnerprofiel ${name}.`)).toBeVisible();
	await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
	await expect(page.getByText('Privé', { exact: true })).toBeVisible();
	// The profile's email stays the creator's.
	await expect(page.getByRole('definition').filter({ hasText: owner })).toBeVisible();
});

test('Mijn profiel: Bewerken, Gebruiker koppelen (a colleague links with the code), Logs', async ({ page, context, browser }) => {
	const ctx = await api();
	const owner = uniqueEmail('bewerker');
	await activeAccount(ctx, owner, PORTAL);
	const token = await signInApi(ctx, owner);
	const auth = { authorization: `Bearer ${token}` };
	const name = `Rapportwijzer ${Date.now().toString(36)}`;
	const body = {
		name,
		description: 'Rapporten uit Informat.',
		contact_name: 'Jan',
		address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
		public: true,
		categories: ['hrm'],
		website: 'https://www.rapportwijzer.be'
	};
	const created = await ctx.post('/profile', { headers: auth, data: body });
	expect(created.status(), await created.text()).toBe(201);

	await signIn(page, owner, '/profiel');
	await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
	// Made without a logo (over HTTP): the page asks for one.
	await expect(page.locator('#logo-gevraagd')).toContainText('Je partnerprofiel heeft nog geen logo. Het logo is verplicht');
	await page.getByRole('button', { name: 'Bewerken' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Partnerprofiel bewerken' })).toBeVisible();
	await expect(page.getByLabel('Naam*')).toHaveValue(name);
	await expect(page.getByLabel('HRM')).toBeChecked();
	await expectAccessible(page);
	await screenshots(page, 'profiel-bewerken');

	// Someone else saves first: this edit is refused (version_conflict), not silently merged.
	const other = await ctx.put('/profile', { headers: auth, data: { ...body, contact_name: 'Mieke' } });
	expect(other.status(), await other.text()).toBe(200);
	await page.getByLabel('Omschrijving*').fill('Rapporten en attesten uit Informat.');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('alert').first()).toContainText('Het profiel werd intussen door iemand anders gewijzigd.');
	await expect(page.getByLabel('Omschrijving*')).toHaveValue('Rapporten en attesten uit Informat.');

	// After a reload the edit starts from the latest version and is saved.
	await page.reload();
	await page.getByRole('button', { name: 'Bewerken' }).click();
	await expect(page.getByLabel('Contactpersoon')).toHaveValue('Mieke');
	await page.getByLabel('Omschrijving*').fill('Rapporten en attesten uit Informat.');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Je wijzigingen zijn opgeslagen.' })).toBeVisible();
	await expect(page.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeFocused();
	await expect(page.getByRole('definition').filter({ hasText: 'Rapporten en attesten uit Informat.' })).toBeVisible();

	// Logs: one row per changed property, with who and from → to.
	const logs = page.getByRole('region', { name: 'Logs van het partnerprofiel' });
	await expect(logs.getByRole('row').filter({ hasText: 'Omschrijving' })).toContainText('Gewijzigd');
	await expect(logs.getByRole('row').filter({ hasText: 'Omschrijving' })).toContainText('Rapporten uit Informat. → Rapporten en attesten uit Informat.');
	await expect(logs.getByRole('row').filter({ hasText: 'Contactpersoon' })).toContainText('Jan → Mieke');

	// Gebruiker koppelen: the code in a pop-up with Kopiëren.
	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', { name: 'Gebruiker koppelen' }).click();
	const dialog = page.getByRole('dialog', { name: 'Gebruiker koppelen' });
	await expect(dialog).toBeVisible();
	await expect(dialog.getByRole('button', { name: 'Kopiëren' })).toBeFocused();
	const code = (await dialog.locator('#uitnodigingscode').innerText()).trim();
	expect(code.length).toBeGreaterThan(10);
	await dialog.getByRole('button', { name: 'Kopiëren' }).click();
	await expect(dialog.getByRole('status')).toHaveText('De code is gekopieerd naar het klembord.');
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
	await expectAccessible(page);
	await screenshots(page, 'gebruiker-koppelen');
	await page.keyboard.press('Escape');
	await expect(dialog).toBeHidden();

	// The colleague registers, signs in and links with the code, in a browser of their own.
	const colleague = uniqueEmail('collega');
	await activeAccount(ctx, colleague, PORTAL);
	const second = await browser.newContext({ baseURL: PORTAL });
	const them = await second.newPage();
	await signIn(them, colleague);
	await them.getByRole('link', { name: 'Met bestaand profiel koppelen' }).click();
	await them.getByLabel('Uitnodigingscode').fill(code);
	await them.getByRole('button', { name: 'Koppelen' }).click();
	await expect(them.getByRole('heading', { level: 2, name })).toBeVisible();
	await second.close();

	// A URL someone typed in a field (issue 21) is text in the Logs, never a link.
	const typed = await ctx.put('/profile', {
		headers: auth,
		data: { ...body, description: 'Rapporten en attesten uit Informat.', contact_name: 'Mieke', extra_info: 'Log in via https://evil.example/aanmelden' }
	});
	expect(typed.status(), await typed.text()).toBe(200);

	// The owner sees the colleague among the Gebruikers, and the link in the Logs.
	await page.reload();
	const extra = logs.getByRole('row').filter({ hasText: 'Extra info' });
	await expect(extra).toContainText('Log in via https://evil.example/aanmelden');
	await expect(extra.getByRole('link')).toHaveCount(0);
	await expect(logs.getByRole('link', { name: /evil\.example/ })).toHaveCount(0);
	const usersTable = page.getByRole('region', { name: 'Gekoppelde gebruikers' });
	await expect(usersTable.getByRole('cell', { name: colleague })).toBeVisible();
	await expect(usersTable.getByRole('cell', { name: owner })).toBeVisible();
	await expect(logs.getByRole('row').filter({ hasText: 'Gekoppeld' }).first()).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'profiel-gebruikers-logs');
});

test('Gebruiker koppelen closed at once, before the logs are read again: the focus is back on the button', async ({ page }) => {
	const ctx = await api();
	const owner = uniqueEmail('snel.dicht');
	await activeAccount(ctx, owner, PORTAL);
	const token = await signInApi(ctx, owner);
	const created = await ctx.post('/profile', {
		headers: { authorization: `Bearer ${token}` },
		data: {
			name: `Snel dicht ${Date.now().toString(36)}`,
			description: 'Meteen weer dicht.',
			contact_name: 'Jan',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: false,
			categories: ['hrm'],
			website: 'https://www.snel-dicht.be'
		}
	});
	expect(created.status(), await created.text()).toBe(201);
	await signIn(page, owner, '/profiel');
	// The logs that a new code adds answer late (a slow network).
	await page.route('**/profile/logs**', async (route) => {
		await new Promise((done) => setTimeout(done, 3000));
		await route.continue();
	});
	const open = page.getByRole('button', { name: 'Gebruiker koppelen' });
	const dialog = page.getByRole('dialog', { name: 'Gebruiker koppelen' });
	await open.focus();
	await page.keyboard.press('Enter');
	await expect(dialog.getByRole('button', { name: 'Kopiëren' })).toBeFocused();
	await page.keyboard.press('Escape');
	await expect(dialog).toBeHidden();
	await expect(open).toBeFocused({ timeout: 2000 });
});

test('the keyboard alone: Gebruiker koppelen (into the pop-up, Escape, back) and the logo picker', async ({ page }) => {
	const ctx = await api();
	const owner = uniqueEmail('toetsen.profiel');
	await activeAccount(ctx, owner, PORTAL);
	const token = await signInApi(ctx, owner);
	const name = `Toetsenbord ${Date.now().toString(36)}`;
	const created = await ctx.post('/profile', {
		headers: { authorization: `Bearer ${token}` },
		data: {
			name,
			description: 'Alles met het toetsenbord.',
			contact_name: 'Jan',
			address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
			public: false,
			categories: ['hrm'],
			website: 'https://www.toetsenbord.be'
		}
	});
	expect(created.status(), await created.text()).toBe(201);
	await page.setViewportSize({ width: 1280, height: 800 });
	await signIn(page, owner, '/profiel');

	const open = page.getByRole('button', { name: 'Gebruiker koppelen' });
	const dialog = page.getByRole('dialog', { name: 'Gebruiker koppelen' });
	const focusIsIn = () => page.evaluate(() => !!document.activeElement?.closest('dialog[open]'));
	for (const close of ['Escape', 'Sluiten'] as const) {
		// Tab to the button and press Enter: the pop-up opens with the focus inside it.
		await page.locator('#inhoud').focus();
		await tabTo(page, 'button:text-is("Gebruiker koppelen")');
		await page.keyboard.press('Enter');
		await expect(dialog).toBeVisible();
		await expect(dialog.locator('#uitnodigingscode')).not.toBeEmpty();
		expect(await focusIsIn()).toBe(true);
		await expect(dialog.getByRole('button', { name: 'Kopiëren' })).toBeFocused();
		// Tab stays inside the modal pop-up (the page behind it is inert).
		await page.keyboard.press('Tab');
		await expect(dialog.getByRole('button', { name: 'Sluiten' })).toBeFocused();
		if (close === 'Escape') {
			await page.keyboard.press('Escape');
		} else {
			await page.keyboard.press('Enter');
		}
		await expect(dialog).toBeHidden();
		// The focus is back on the button that opened it.
		await expect(open).toBeFocused();
		await expectVisibleFocus(page);
	}

	// The logo: a Dutch button that the keyboard reaches (its label shows the focus), Space opens
	// the file picker, and the chosen file's name and a preview are shown.
	await page.getByRole('button', { name: 'Bewerken' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Partnerprofiel bewerken' })).toBeVisible();
	await expect(page.locator('label.file-button')).toHaveText('Kies een bestand');
	await expect(page.locator('#logo-name')).toHaveText('Geen bestand gekozen');
	await page.getByLabel('Website*').focus();
	await page.keyboard.press('Tab');
	await expect(page.locator('#logo')).toBeFocused();
	const ring = await page.locator('label.file-button').evaluate((el) => getComputedStyle(el).outlineStyle);
	expect(ring).toBe('solid');
	const chooser = page.waitForEvent('filechooser');
	await page.keyboard.press('Space');
	await (await chooser).setFiles({ name: 'mijn-logo.png', mimeType: 'image/png', buffer: png(90, 90, [30, 120, 60]) });
	await expect(page.locator('#logo-name')).toHaveText('mijn-logo.png');
	await expect(page.getByRole('img', { name: 'Voorbeeld van het logo' })).toBeVisible();
	await expectAccessible(page);
	await page.locator('.logo-preview').scrollIntoViewIfNeeded();
	await screenshots(page, 'profiel-logo-gekozen');
	await page.keyboard.press('Tab');
	await expect(page.locator('#extra_info')).toBeFocused();
});

// Issue 22 item 7: every time is Belgian time with the date in Dutch, whatever the reader's time
// zone; the API keeps UTC. The browser here is in New York.
test.describe('times in Belgian time', () => {
	test.use({ timezoneId: 'America/New_York' });

	test('the formatter: summer and winter time, Dutch month names', () => {
		expect(dateTime('2026-07-01T08:00:00Z')).toBe('1 juli 2026 om 10:00');
		expect(dateTime('2026-12-01T08:00:00Z')).toBe('1 december 2026 om 09:00');
		// The switches of 2026: 29 March 01:00 UTC and 25 October 01:00 UTC.
		expect(dateTime('2026-03-29T00:59:00Z')).toBe('29 maart 2026 om 01:59');
		expect(dateTime('2026-03-29T01:00:00Z')).toBe('29 maart 2026 om 03:00');
		expect(dateTime('2026-10-25T00:59:00Z')).toBe('25 oktober 2026 om 02:59');
		expect(dateTime('2026-10-25T01:00:00Z')).toBe('25 oktober 2026 om 02:00');
		// Late evening in UTC is already the next day in Brussels.
		expect(dateTime('2026-12-31T23:30:00Z')).toBe('1 januari 2027 om 00:30');
		expect(date('2026-12-31T23:30:00Z')).toBe('1 januari 2027');
		expect(date('2026-06-15T12:00:00Z')).toBe('15 juni 2026');
		expect(dateTime('geen tijd')).toBe('geen tijd');
	});

	test('Mijn profiel: the Logs and Gebruikers show Brussels time to a reader in New York', async ({ page }) => {
		const ctx = await api();
		const owner = uniqueEmail('tijdzone');
		await activeAccount(ctx, owner, PORTAL);
		const token = await signInApi(ctx, owner);
		const auth = { authorization: `Bearer ${token}` };
		const created = await ctx.post('/profile', {
			headers: auth,
			data: {
				name: `Tijdwijzer ${Date.now().toString(36)}`,
				description: 'Roosters uit Informat.',
				contact_name: 'Jan',
				address: { street: 'Kerkstraat 1', postal_code: '2000', city: 'Antwerpen', country: 'BE' },
				public: false,
				categories: ['hrm'],
				website: 'https://www.tijdwijzer.be'
			}
		});
		expect(created.status(), await created.text()).toBe(201);
		const res = await ctx.get('/profile/logs', { headers: auth, params: { limit: 20 } });
		expect(res.status(), await res.text()).toBe(200);
		const at = ((await res.json()) as { items: { at: string }[] }).items[0]?.at ?? '';
		expect(at).not.toBe('');

		// What the page must show, worked out apart from the portal's formatter: Brussels, long Dutch date.
		const brussels = new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', dateStyle: 'long', timeStyle: 'short' }).format(new Date(at));
		expect(brussels).toMatch(/^\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december) \d{4} om \d{2}:\d{2}$/);
		const newYork = new Intl.DateTimeFormat('nl-BE', { timeZone: 'America/New_York', dateStyle: 'long', timeStyle: 'short' }).format(new Date(at));
		expect(newYork).not.toBe(brussels);

		await signIn(page, owner, '/profiel');
		expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('America/New_York');
		const logs = page.getByRole('region', { name: 'Logs van het partnerprofiel' });
		const newest = logs.getByRole('row').nth(1).locator('time');
		await expect(newest).toHaveText(brussels);
		await expect(newest).toHaveAttribute('datetime', at);
		// The owner's own link in Gebruikers: Brussels time too.
		const linked = page.getByRole('region', { name: 'Gekoppelde gebruikers' }).getByRole('row').filter({ hasText: owner }).locator('time');
		await expect(linked).toHaveText(/^\d{1,2} [a-z]+ \d{4} om \d{2}:\d{2}$/);
		const linkedAt = (await linked.getAttribute('datetime')) ?? '';
		await expect(linked).toHaveText(
			new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', dateStyle: 'long', timeStyle: 'short' }).format(new Date(linkedAt))
		);
		await logs.scrollIntoViewIfNeeded();
		await screenshots(page, 'profiel-logs-brusselse-tijd');
	});
});
