import { expect } from '@playwright/test';
import { api, expectAccessible, linkIn, mailTo, PASSWORD, screenshots, test, uniqueEmail } from './support';

// This file runs last (files run in name order): it moves the local stack's clock forward, which
// then holds for every later test on the same stack.
const PORTAL = (process.env.PORTAL_URL ?? 'http://localhost:5173').replace(/\/+$/, '');

test("an expired activation link and an expired reset link: the API's message and a way on", async ({ page }) => {
	const ctx = await api();
	const email = uniqueEmail('verlopen');
	const res = await ctx.post('/accounts', { data: { email, password: PASSWORD, accept_terms: true } });
	expect(res.status()).toBe(202);
	const activation = linkIn(await mailTo(ctx, email, 'Activeer je partneraccount'), `${PORTAL}/activeren?token=`);
	// The stack's clock moves 8 days on: the activation link (7 days) has expired.
	const clock = await ctx.post('/_local/clock', { data: { advance_seconds: 8 * 24 * 3600 } });
	expect(clock.status(), await clock.text()).toBe(200);
	await page.goto(activation);
	await expect(page.getByRole('alert')).toContainText('Deze link is ongeldig, al gebruikt of verlopen.');
	await expect(page.getByRole('link', { name: 'Wachtwoord vergeten?' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'activeren-verlopen');

	// The manual's tip: "Wachtwoord vergeten?" sends a reset link, which also activates; after
	// 2 hours that link (1 hour) has expired too.
	await page.getByRole('link', { name: 'Wachtwoord vergeten?' }).click();
	await page.getByLabel('E-mailadres').fill(email);
	await page.getByRole('button', { name: 'Verstuur link' }).click();
	await expect(page.getByRole('status')).toContainText('ontvang je een e-mail');
	const reset = linkIn(await mailTo(ctx, email, 'Kies een nieuw wachtwoord'), `${PORTAL}/wachtwoord-herstellen?token=`);
	await ctx.post('/_local/clock', { data: { advance_seconds: 2 * 3600 } });
	await page.goto(reset);
	// Said before a password is typed (issue 22): no form to fill in for nothing.
	await expect(page.getByRole('alert')).toContainText('Deze link is verlopen');
	await expect(page.getByLabel('Nieuw wachtwoord', { exact: true })).toHaveCount(0);
	await expect(page.getByRole('link', { name: 'Wachtwoord vergeten?' })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'wachtwoord-herstellen-verlopen');
});
