import { expect } from '@playwright/test';
import {
	activeAccount,
	api,
	expectAccessible,
	expectVisibleFocus,
	linkIn,
	mailTo,
	PASSWORD,
	screenshots,
	tabTo,
	test,
	uniqueEmail
} from './support';

const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

test('register, activate from the mail, sign in and reach Welkom!', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('journey');

	await page.goto('/');
	await page.getByRole('link', { name: 'Registreren' }).first().click();
	await expect(page).toHaveURL(/\/registreren$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Registreren' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'registreren');

	await page.getByLabel('E-mailadres').fill(email);
	const password = page.getByLabel('Wachtwoord', { exact: true });
	// The rules are shown while typing: each turns "in orde" as the password meets it.
	await password.fill('kort');
	await expect(page.locator('[data-rule="lengte"]')).not.toHaveClass(/ok/);
	await expect(page.locator('[data-rule="kleine-letter"]')).toHaveClass(/ok/);
	await password.fill(PASSWORD);
	for (const rule of ['lengte', 'hoofdletter', 'kleine-letter', 'cijfer', 'speciaal', 'spatie']) {
		await expect(page.locator(`[data-rule="${rule}"]`)).toHaveClass(/ok/);
	}
	await page.getByLabel('Ik ga akkoord met de voorwaarden en het privacybeleid').check();
	await page.getByRole('button', { name: 'Registreren' }).click();

	await expect(page.getByRole('heading', { name: 'Controleer je mailbox' })).toBeVisible();
	await expect(page.getByText('Informat – Activeer je partneraccount')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'registreren-verstuurd');

	const mail = await mailTo(ctx, email, 'Activeer je partneraccount');
	const link = linkIn(mail, `${PORTAL}/activeren?token=`);
	await page.goto(link);
	await expect(page.getByText('Je account is geactiveerd. Meld je aan om verder te gaan.')).toBeVisible();
	// The token leaves the address bar once used.
	await expect(page).toHaveURL(/\/activeren$/);
	await expectAccessible(page);
	await screenshots(page, 'activeren');

	// The same link a second time: used, so refused with the API's Dutch detail.
	await page.goto(link);
	await expect(page.getByRole('alert')).toContainText('Deze link is ongeldig, al gebruikt of verlopen');
	// It was most likely used to activate: signing in is offered (issue 22).
	await expect(page.getByRole('link', { name: 'Aanmelden', exact: true }).last()).toHaveAttribute('href', '/aanmelden');
	await expect(page.getByText('Werd je account met deze link al geactiveerd?')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'activeren-gebruikt');

	await page.goto('/activeren');
	await page.goto(link.replace(/token=[^&]+/, 'token=onbekend'));
	await expect(page.getByRole('alert')).toContainText('ongeldig');

	await page.goto('/aanmelden?geactiveerd=1');
	await expectAccessible(page);
	await screenshots(page, 'aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();

	await expect(page).toHaveURL(/\/welkom$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();
	await expect(page.getByText('Je account is nog niet gekoppeld aan een partnerprofiel.')).toBeVisible();
	await expect(page.getByRole('link', { name: 'Nieuw profiel toevoegen' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Met bestaand profiel koppelen' })).toBeVisible();
	const menu = page.getByRole('navigation', { name: 'Partnermenu' });
	// At 375 px the sidebar folds into a "Menu" button that opens it.
	await page.setViewportSize({ width: 375, height: 812 });
	await expect(menu.getByRole('link', { name: 'Mijn profiel' })).toBeHidden();
	await page.getByRole('button', { name: 'Menu' }).click();
	await expect(page.getByRole('button', { name: 'Menu' })).toHaveAttribute('aria-expanded', 'true');
	await expect(menu.getByRole('link', { name: 'Mijn profiel' })).toBeVisible();
	await page.getByRole('button', { name: 'Menu' }).click();
	await page.setViewportSize({ width: 1280, height: 800 });
	for (const item of ['Mijn profiel', 'Applicaties', 'API Documentatie']) {
		await expect(menu.getByRole('link', { name: item })).toBeVisible();
	}
	await expectAccessible(page);
	await screenshots(page, 'welkom');

	// A reload keeps the session (refresh token in sessionStorage, never localStorage).
	await page.reload();
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();
	expect(await page.evaluate(() => localStorage.length)).toBe(0);
	expect(await page.evaluate(() => sessionStorage.getItem('portal.partner.refresh'))).toBeTruthy();

	await page.goto('/api-documentatie');
	await expect(page.getByRole('heading', { level: 1, name: 'API Documentatie' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'api-documentatie');

	// Sign out: the partner zone is closed again, and the refresh token the tab held is revoked.
	const refreshToken = await page.evaluate(() => sessionStorage.getItem('portal.partner.refresh'));
	expect(refreshToken).toBeTruthy();
	await page.getByRole('button', { name: 'Afmelden' }).click();
	await expect(page).toHaveURL(/\/aanmelden\?afgemeld=1$/);
	const refreshed = await ctx.post('/sessions/refresh', { data: { refresh_token: refreshToken } });
	expect(refreshed.status()).toBe(401);
	expect((await refreshed.json()).code).toBe('invalid_credentials');
	await expect(page.getByText('Je bent afgemeld.')).toBeVisible();
	await page.goto('/welkom');
	await expect(page).toHaveURL(/\/aanmelden\?terug=%2Fwelkom$/);
	expect(await page.evaluate(() => sessionStorage.getItem('portal.partner.refresh'))).toBeNull();
});

test('field errors stand next to their fields, the detail in the alert', async ({ page }) => {
	await page.goto('/registreren');
	await page.getByRole('button', { name: 'Registreren' }).click();
	// Nothing filled in: the API names every field; each message is tied to its field.
	for (const id of ['email', 'password', 'accept_terms']) {
		const field = page.locator(`#${id}`);
		await expect(field).toHaveAttribute('aria-invalid', 'true');
		await expect(field).toHaveAttribute('aria-describedby', new RegExp(`${id}-error`));
		await expect(page.locator(`#${id}-error`)).not.toBeEmpty();
	}
	await expect(page.getByRole('alert')).toContainText('Bekijk de foutmeldingen per veld');
	// Focus moves to the first field in error.
	await expect(page.locator('#email')).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'registreren-fouten');

	// An invalid email, a weak password, terms not accepted: each message beside its own field.
	await page.getByLabel('E-mailadres').fill('gebruiker.informat');
	await page.getByLabel('Wachtwoord', { exact: true }).fill('zwak');
	await page.getByRole('button', { name: 'Registreren' }).click();
	await expect(page.locator('#email-error')).toBeVisible();
	await expect(page.locator('#password-error')).toContainText('minstens 8 karakters');
	await expect(page.locator('#accept_terms-error')).toBeVisible();
	const emailMessage = await page.locator('#email-error').innerText();
	expect(emailMessage).not.toBe(await page.locator('#password-error').innerText());

	// Only the weak password left: the email and terms errors are gone.
	await page.getByLabel('E-mailadres').fill(uniqueEmail('zwak'));
	await page.getByLabel('Ik ga akkoord met de voorwaarden en het privacybeleid').check();
	await page.getByRole('button', { name: 'Registreren' }).click();
	await expect(page.locator('#password-error')).toBeVisible();
	await expect(page.locator('#email-error')).toHaveCount(0);
	await expect(page.locator('#accept_terms-error')).toHaveCount(0);
	await expect(page.locator('#password')).toBeFocused();
});

test('sign-in errors: wrong password, account not activated', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('nietactief');
	const res = await ctx.post('/accounts', { data: { email, password: PASSWORD, accept_terms: true } });
	expect(res.status()).toBe(202);

	await page.goto('/aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	// 403 account_not_activated: the API's Dutch detail in the alert region.
	await expect(page.getByRole('alert')).toContainText('Je account is nog niet geactiveerd');
	await expectAccessible(page);
	await screenshots(page, 'aanmelden-niet-geactiveerd');

	await page.getByLabel('Wachtwoord', { exact: true }).fill('Fout!Wachtwoord99');
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('alert')).toContainText('Het e-mailadres of wachtwoord is niet correct.');
	await expect(page.getByRole('link', { name: 'Wachtwoord vergeten?' })).toBeVisible();
});

test('too many failed sign-ins: the 429 message', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('teveel');
	await activeAccount(ctx, email, PORTAL);
	await page.goto('/aanmelden');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill('Fout!Wachtwoord99');
	const alert = page.getByRole('alert');
	for (let i = 0; i < 8; i++) {
		await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
		await expect(page.getByRole('button', { name: 'Aanmelden', exact: true })).toBeEnabled();
		if ((await alert.innerText()).includes('Te veel mislukte pogingen')) break;
	}
	await expect(alert).toContainText('Te veel mislukte pogingen. Probeer het over');
});

test('forgot password: the mail, its link, a new password, then sign in', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('vergeten');
	await activeAccount(ctx, email, PORTAL);

	await page.goto('/aanmelden');
	await page.getByRole('link', { name: 'Wachtwoord vergeten?' }).click();
	await expect(page).toHaveURL(/\/wachtwoord-vergeten$/);
	await expectAccessible(page);
	await screenshots(page, 'wachtwoord-vergeten');
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByRole('button', { name: 'Verstuur link' }).click();
	await expect(page.getByRole('status')).toContainText('ontvang je een e-mail');

	const mail = await mailTo(ctx, email, 'Kies een nieuw wachtwoord');
	const link = linkIn(mail, `${PORTAL}/wachtwoord-herstellen?token=`);
	await page.goto(link);
	await expect(page.getByRole('heading', { level: 1, name: 'Nieuw wachtwoord kiezen' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'wachtwoord-herstellen');
	const newPassword = 'Groene-Trein!Thee73';
	await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('zwak');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.locator('#password-error')).toBeVisible();
	await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill(newPassword);
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page).toHaveURL(/\/aanmelden\?hersteld=1$/);
	await expect(page.getByText('Je wachtwoord is gewijzigd.')).toBeVisible();

	await page.getByLabel('E-mailadres').fill(email);
	await page.getByLabel('Wachtwoord', { exact: true }).fill(newPassword);
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();

	// The link is single use, and the page says so before a password is typed (issue 22).
	await page.goto(link);
	await expect(page.getByRole('alert')).toContainText('Deze link is al gebruikt of ongeldig.');
	await expect(page.getByLabel('Nieuw wachtwoord', { exact: true })).toHaveCount(0);
	await expect(page.getByRole('link', { name: 'Aanmelden', exact: true }).last()).toHaveAttribute('href', '/aanmelden');
	await expectAccessible(page);
	await screenshots(page, 'wachtwoord-herstellen-gebruikt');
});

test('register and sign in with the keyboard alone', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('toetsenbord');
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto('/registreren');
	await expect(page.getByRole('heading', { level: 1, name: 'Registreren' })).toBeVisible();

	// The first Tab reaches the skip link, which moves to the content.
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Naar de inhoud' })).toBeFocused();
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	await expect(page.locator('#inhoud')).toBeFocused();

	await tabTo(page, '#email');
	await expectVisibleFocus(page);
	await page.keyboard.type(email);
	await tabTo(page, '#password', 3);
	await page.keyboard.type(PASSWORD);
	await tabTo(page, '#accept_terms', 3);
	await expectVisibleFocus(page);
	await page.keyboard.press('Space');
	await expect(page.locator('#accept_terms')).toBeChecked();
	await tabTo(page, 'button[type="submit"]', 3);
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Controleer je mailbox' })).toBeFocused();

	const mail = await mailTo(ctx, email, 'Activeer je partneraccount');
	await page.goto(linkIn(mail, `${PORTAL}/activeren?token=`));
	await expect(page.getByText('Je account is geactiveerd.')).toBeVisible();
	await tabTo(page, 'a.button[href^="/aanmelden"]');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/aanmelden/);

	await tabTo(page, '#email');
	await page.keyboard.type(email);
	await tabTo(page, '#password', 3);
	await page.keyboard.type(PASSWORD);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();
	await tabTo(page, 'a[href="/profiel/nieuw"]');
	await expectVisibleFocus(page);
});

test('Wachtwoord vergeten? with the keyboard alone: the link, the form, the mail\'s page', async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('toetsen.vergeten');
	await activeAccount(ctx, email, PORTAL);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto('/aanmelden');
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden', exact: true })).toBeVisible();

	// On the sign-in page the link follows the password field.
	await tabTo(page, '#password');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Wachtwoord vergeten?' })).toBeFocused();
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/wachtwoord-vergeten$/);

	await tabTo(page, '#email');
	await expectVisibleFocus(page);
	await page.keyboard.type(email);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText('ontvang je een e-mail');
	// The answer takes the focus, so a screen reader reads it; the way back is one Tab away.
	await expect(page.getByRole('heading', { level: 1, name: 'Wachtwoord vergeten?' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Terug naar aanmelden' })).toBeFocused();

	const mail = await mailTo(ctx, email, 'Kies een nieuw wachtwoord');
	await page.goto(linkIn(mail, `${PORTAL}/wachtwoord-herstellen?token=`));
	await expect(page.getByRole('heading', { level: 1, name: 'Nieuw wachtwoord kiezen' })).toBeVisible();
	await tabTo(page, '#password');
	await expectVisibleFocus(page);
	await page.keyboard.type('Gele-Boot!Soep19');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/aanmelden\?hersteld=1$/);

	await tabTo(page, '#email');
	await page.keyboard.type(email);
	await tabTo(page, '#password', 3);
	await page.keyboard.type('Gele-Boot!Soep19');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { level: 1, name: 'Welkom!' })).toBeVisible();
});
