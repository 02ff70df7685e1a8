import { expect } from '@playwright/test';
import { BACKOFFICE, moderator, staffUser } from './backoffice';
import { api, expectAccessible, expectVisibleFocus, linkIn, mailTo, PASSWORD, screenshots, tabTo, test } from './support';

// "Wachtwoord vergeten?" of the back office (issue 22 item 1): moderators keep their e-mail
// address and password and choose a new one through a mailed link, by keyboard alone.

test('a moderator resets the back-office password by keyboard: the link, the mail, the new password, sign in', async ({ page }) => {
	const ctx = await api();
	const email = await moderator(ctx);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto('/beheer/aanmelden');
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden in het beheer' })).toBeVisible();

	// The link follows the password field.
	await tabTo(page, '#password');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Wachtwoord vergeten?' })).toBeFocused();
	await expectVisibleFocus(page);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/beheer\/wachtwoord-vergeten$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Wachtwoord vergeten?' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-wachtwoord-vergeten');

	// A wrong address is a Dutch error next to the field.
	await tabTo(page, '#email');
	await page.keyboard.type('geen-adres');
	await page.keyboard.press('Enter');
	await expect(page.locator('#email-error')).toContainText('e-mailadres');
	await expect(page.locator('#email')).toBeFocused();
	await page.keyboard.press('ControlOrMeta+a');
	await page.keyboard.type(email);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText('moderator van Informat');
	await expect(page.getByRole('heading', { level: 1, name: 'Wachtwoord vergeten?' })).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'beheer-wachtwoord-vergeten-verstuurd');
	// The address in the answer breaks inside its box at 375 px.
	await page.setViewportSize({ width: 375, height: 812 });
	const status = page.getByRole('status').locator('p');
	expect(await status.evaluate((p) => p.scrollWidth <= p.clientWidth)).toBe(true);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Terug naar aanmelden' })).toBeFocused();

	const mail = await mailTo(ctx, email, 'Kies een nieuw wachtwoord');
	const link = linkIn(mail, `${BACKOFFICE}/wachtwoord-herstellen?token=`);
	await page.goto(link);
	await expect(page.getByRole('heading', { level: 1, name: 'Nieuw wachtwoord kiezen' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-wachtwoord-herstellen');

	// A weak password: the error next to the field, and the link still works.
	await tabTo(page, '#password');
	await expectVisibleFocus(page);
	await page.keyboard.type('zwak');
	await page.keyboard.press('Enter');
	await expect(page.locator('#password-error')).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-wachtwoord-herstellen-fout');
	const newPassword = 'Groene-Trein!Thee73';
	await page.keyboard.press('ControlOrMeta+a');
	await page.keyboard.type(newPassword);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText('Je nieuwe wachtwoord is opgeslagen');
	await expect(page.getByRole('heading', { level: 1, name: 'Nieuw wachtwoord kiezen' })).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'beheer-wachtwoord-hersteld');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Naar aanmelden' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/beheer\/aanmelden$/);

	// The old password no longer opens the back office; the new one does.
	await tabTo(page, '#email');
	await page.keyboard.type(email);
	await tabTo(page, '#password', 3);
	await page.keyboard.type(PASSWORD);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('alert')).toContainText('Het e-mailadres of wachtwoord is niet correct.');
	await page.locator('#password').fill('');
	await page.locator('#password').focus();
	await page.keyboard.type(newPassword);
	await page.keyboard.press('Enter');
	await expect(page).not.toHaveURL(/\/beheer\/aanmelden/);

	// The link is single use.
	await page.goto(link);
	await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('Nog-Een!Wachtwoord58');
	await page.getByRole('button', { name: 'Opslaan' }).click();
	await expect(page.getByRole('alert')).toContainText('ongeldig, al gebruikt of verlopen');
});

test('a staff pool user who is no moderator, and a school administrator of Informat, get the same answer and no mail', async ({ page }) => {
	const ctx = await api();
	const admin = await staffUser(ctx, 'schoolbeheerder');
	await page.goto('/beheer/wachtwoord-vergeten');
	await page.getByLabel('E-mailadres').fill(admin);
	await page.getByRole('button', { name: 'Verstuur link' }).click();
	await expect(page.getByRole('status')).toContainText('Ben je schoolbeheerder?');
	const mails = await (await ctx.get('/_local/mails')).json();
	const to = (mails.items as { to: string[] }[]).filter((m) => m.to.includes(admin));
	expect(to).toEqual([]);
});
