import { expect } from '@playwright/test';
import { activeAccount, api, expectAccessible, linkIn, mailTo, PASSWORD, screenshots, test, uniqueEmail } from './support';

const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

// Issue 22 item 9: small things users see.

test('the rule list has "niet makkelijk te raden", unmet once the API finds the password easy to guess', async ({ page }) => {
	await page.goto('/registreren');
	const rule = page.locator('[data-rule="raden"]');
	await expect(rule).toContainText('niet makkelijk te raden');
	// Before the API answered it is not known: neither met nor unmet.
	await expect(rule).toContainText('(wordt gecontroleerd bij het versturen)');
	await expect(rule).not.toHaveClass(/unmet|ok/);

	await page.getByLabel('E-mailadres').fill(uniqueEmail('raden'));
	// Meets every rule the browser checks, but is guessed in no time.
	const password = page.getByLabel('Wachtwoord', { exact: true });
	await password.fill('Welkom2024!');
	await page.getByLabel('Ik ga akkoord met de voorwaarden en het privacybeleid').check();
	await page.getByRole('button', { name: 'Registreren' }).click();
	await expect(page.locator('#password-error')).toContainText('te makkelijk te raden');
	await expect(rule).toHaveClass(/unmet/);
	await expect(rule).toContainText('(nog niet in orde)');
	for (const id of ['lengte', 'hoofdletter', 'kleine-letter', 'cijfer', 'speciaal', 'spatie']) {
		await expect(page.locator(`[data-rule="${id}"]`)).toHaveClass(/ok/);
	}
	await expectAccessible(page);
	await screenshots(page, 'registreren-te-raden');

	// Another password: unknown again until the API answers.
	await password.fill(PASSWORD);
	await expect(rule).not.toHaveClass(/unmet/);
	await expect(rule).toContainText('(wordt gecontroleerd bij het versturen)');

	// A password that fails a browser rule is not marked guessable.
	await password.fill('kort');
	await page.getByRole('button', { name: 'Registreren' }).click();
	await expect(page.locator('#password-error')).toContainText('minstens 8 karakters');
	await expect(rule).not.toHaveClass(/unmet/);
});

test('the reset page marks an easy to guess password unmet too', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('raden-herstel');
	await activeAccount(ctx, email, PORTAL);
	await ctx.post('/accounts/forgot-password', { data: { email } });
	const link = linkIn(await mailTo(ctx, email, 'Kies een nieuw wachtwoord'), `${PORTAL}/wachtwoord-herstellen?token=`);
	await page.goto(link);
	await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('Wachtwoord1!');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#password-error')).toContainText('te makkelijk te raden');
	await expect(page.locator('[data-rule="raden"]')).toHaveClass(/unmet/);
});

test('"voorwaarden" and "privacybeleid" link to pages that exist, with placeholder text', async ({ page, context }) => {
	await page.goto('/registreren');
	for (const [name, path, heading, setting] of [
		['voorwaarden', '/voorwaarden', 'Voorwaarden', 'TermsUrl'],
		['privacybeleid', '/privacybeleid', 'Privacybeleid', 'PrivacyUrl']
	] as const) {
		const link = page.getByRole('link', { name, exact: true });
		await expect(link).toHaveAttribute('href', path);
		const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
		await tab.waitForLoadState();
		await expect(tab).toHaveURL(`${PORTAL}${path}`);
		await expect(tab.getByRole('heading', { level: 1, name: heading })).toBeVisible();
		await expect(tab.getByRole('note')).toContainText('Dit is voorlopige tekst');
		await expect(tab.getByRole('note')).toContainText(setting);
		await expectAccessible(tab);
		await screenshots(tab, `pagina-${name}`);
		await tab.close();
	}
	// The checkbox keeps its own label; the links beside it do not toggle it.
	await expect(page.getByLabel('Ik ga akkoord met de voorwaarden en het privacybeleid')).not.toBeChecked();
	await expectAccessible(page);
	await screenshots(page, 'registreren-voorwaarden');
});

test('a reset link replaced by a newer one says so before a password is typed; the newer one works', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('vervangen');
	await activeAccount(ctx, email, PORTAL);
	await ctx.post('/accounts/forgot-password', { data: { email } });
	const first = linkIn(await mailTo(ctx, email, 'Kies een nieuw wachtwoord'), `${PORTAL}/wachtwoord-herstellen?token=`);
	await page.goto(first);
	await expect(page.getByLabel('Nieuw wachtwoord', { exact: true })).toBeVisible();
	// A second request (its answer comes once the new link is stored): only that link works now.
	const again = await ctx.post('/accounts/forgot-password', { data: { email } });
	expect(again.status()).toBe(202);
	await page.goto(first);
	await expect(page.getByRole('alert')).toContainText('Er is intussen een nieuwere link verstuurd');
	await expect(page.getByLabel('Nieuw wachtwoord', { exact: true })).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'wachtwoord-herstellen-vervangen');
	const second = linkIn(await mailTo(ctx, email, 'Kies een nieuw wachtwoord'), `${PORTAL}/wachtwoord-herstellen?token=`);
	expect(second).not.toBe(first);
	await page.goto(second);
	await expect(page.getByLabel('Nieuw wachtwoord', { exact: true })).toBeVisible();
	await expect(page.getByText('Er is intussen een nieuwere link verstuurd')).toHaveCount(0);
});
