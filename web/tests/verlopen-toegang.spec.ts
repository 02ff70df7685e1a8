import { expect } from '@playwright/test';
import { accessRequestLink, approve, fillInformatSignIn, moderatorToken, partnerWithApplication, schoolAdmin, uniqueInstitution } from './backoffice';
import { api, expectAccessible, PASSWORD, screenshots, test } from './support';

// This file runs just before verlopen.spec.ts (files run in name order, and "verlopen-" sorts
// before "verlopen."): it moves the local stack's clock 32 days on, which holds for every later
// test on the same stack. verlopen.spec.ts only needs links made after its own clock move.

test("an access-request link older than a month: the API's Dutch message, and the partner sees it expired", async ({ page, browser }) => {
	const ctx = await api();
	const app = await partnerWithApplication(ctx, ['leerlingen']);
	await approve(ctx, await moderatorToken(ctx), app.id);
	const school = uniqueInstitution();
	const admin = await schoolAdmin(ctx, 'laat', `leerlingen:${school}`);
	const link = await accessRequestLink(ctx, app, admin);

	// A month and a bit later (the link is valid one month), the scheduled job has run.
	const clock = await ctx.post('/_local/clock', { data: { advance_seconds: 32 * 24 * 3600 } });
	expect(clock.status(), await clock.text()).toBe(200);
	const job = await ctx.post('/_local/run/expire-access-requests');
	expect(job.status(), await job.text()).toBe(200);

	await page.goto(link);
	await fillInformatSignIn(page, admin);
	await expect(page.getByRole('heading', { level: 1, name: 'Deze aanvraag is verlopen' })).toBeVisible();
	await expect(page.getByRole('alert')).toContainText('Deze aanvraag is verlopen: een link blijft een maand geldig. Vraag de partner om een nieuwe aanvraag.');
	await expect(page.getByRole('button', { name: 'Toegang verlenen' })).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-verlopen');

	// The partner's API toegang lists the request as Verlopen.
	const partner = await (await browser.newContext()).newPage();
	await partner.goto('/aanmelden');
	await partner.getByLabel('E-mailadres').fill(app.email);
	await partner.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
	await partner.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(partner.getByRole('heading', { level: 1, name: 'Mijn profiel' })).toBeVisible();
	await partner.goto(`/applicaties/${app.id}?tab=api-toegang`);
	await expect(partner.getByRole('region', { name: 'Aanvragen' }).getByRole('row').filter({ hasText: admin })).toContainText('Verlopen');
	// Its link in the Logs is no longer offered: no link, no Kopieer link (issue 22).
	await partner.getByRole('link', { name: 'Logs' }).click();
	const row = partner.getByRole('region', { name: 'Logs van de applicatie' }).getByRole('row').filter({ hasText: `${admin}: ` });
	await expect(row).toContainText('(verlopen)');
	await expect(row.getByRole('link')).toHaveCount(0);
	await expect(row.getByRole('button', { name: 'Kopieer link' })).toHaveCount(0);
	await expectAccessible(partner);
	await partner.context().close();
});
