import { expect, type Page } from '@playwright/test';
import { activeAccount, api, expectAccessible, PASSWORD, screenshots, signInApi, test, uniqueEmail } from './support';

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
	await page.getByRole('button', { name: 'Aanmelden' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeVisible();
	return email;
}

test('Applicatie toevoegen: a new client ID, status Nieuw', async ({ page }) => {
	const email = await partnerSignedIn(page);
	await page.getByRole('navigation', { name: 'Partnermenu' }).getByRole('link', { name: 'Applicaties' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Applicaties' })).toBeVisible();
	await expect(page.getByText('Je hebt nog geen applicaties.')).toBeVisible();
	await expectAccessible(page);

	await page.getByRole('button', { name: 'Applicatie toevoegen' }).click();
	const dialog = page.getByRole('dialog', { name: 'Nieuwe applicatie toevoegen' });
	await expect(dialog).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'applicatie-keuze');
	await dialog.getByLabel('Ik vraag een nieuwe client ID aan').check();
	await dialog.getByRole('button', { name: 'Doorgaan' }).click();
	await expect(page).toHaveURL(/\/applicaties\/nieuw$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Applicatie toevoegen' })).toBeVisible();

	// Nothing filled in: every field refused beside itself, at least one API required.
	await page.getByRole('button', { name: 'Opslaan' }).click();
	for (const id of ['name', 'description', 'contact_name', 'contact_email']) {
		await expect(page.locator(`#${id}`)).toHaveAttribute('aria-invalid', 'true');
		await expect(page.locator(`#${id}-error`)).toBeVisible();
	}
	await expect(page.locator('#apis-error')).toContainText('Kies minstens één API.');
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
