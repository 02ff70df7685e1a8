import { expect } from '@playwright/test';
import {
	accessRequestLink,
	approve,
	BACKOFFICE,
	fillInformatSignIn,
	fillStaffSignIn,
	moderatorToken,
	partnerWithApplication,
	schoolAdmin,
	schoolAdminSignIn,
	schoolAdminWithToken,
	staffSignIn,
	staffUser,
	uniqueInstitution
} from './backoffice';
import { api, expectAccessible, PASSWORD, screenshots, test } from './support';

// School administrators: the grant page from the mail's link, limited to their rights, and the
// school's page with its applications, for each school they administer.

test('the grant page offers only the schools and APIs the administrator has rights for; the school page switches schools', async ({ page }) => {
	const ctx = await api();
	const app = await partnerWithApplication(ctx, ['leerlingen', 'personeel', 'rekeningen']);
	await approve(ctx, await moderatorToken(ctx), app.id);
	const [a, b] = [uniqueInstitution(), uniqueInstitution()].sort() as [string, string];
	// At school A this administrator manages Leerlingen and Personeel, at B only Personeel, and
	// at a third school only Internen (which the app does not ask for: not offered).
	const other = uniqueInstitution();
	const admin = await schoolAdmin(ctx, 'directie', `leerlingen:${a} personeel:${a} personeel:${b} internen:${other}`);
	const link = await accessRequestLink(ctx, app, admin);

	await page.goto(link);
	await expect(page).toHaveURL(/\/beheer\/aanmelden\?terug=%2Fbeheer%2Ftoegang%2F/);
	await expectAccessible(page);
	await screenshots(page, 'beheer-aanmelden-terug');
	await fillInformatSignIn(page, admin);
	await expect(page).toHaveURL(link);
	await expect(page.getByRole('heading', { level: 1, name: `Datatoegang voor applicatie ${app.name}` })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: 'Leerlingen, Personeel, Rekeningen' })).toBeVisible();
	await expect(page.getByRole('definition').filter({ hasText: app.partner })).toBeVisible();
	const school = page.getByLabel('School (instellingsnummer)');
	await expect(school.locator('option')).toHaveText([a, b]);
	// Consent is given, not presumed: on arrival no API is ticked.
	const boxes = page.getByRole('group', { name: 'API toegang' }).getByRole('checkbox');
	await expect(boxes).toHaveCount(3);
	for (const box of await boxes.all()) await expect(box).not.toBeChecked();
	await expect(page.getByLabel('Leerlingen')).toBeEnabled();
	await expect(page.getByLabel('Personeel')).toBeEnabled();
	await expect(page.getByLabel(/Rekeningen/)).toBeDisabled();
	await expect(page.getByText('(geen beheerdersrechten)')).toHaveCount(1);
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang');

	// Granting with nothing ticked: the message beside the boxes, which are marked invalid and
	// described by it; focus on the first box. The API itself refuses an empty list as well.
	await page.getByRole('button', { name: 'Toegang verlenen' }).click();
	const none = page.locator('#apis-error');
	await expect(none).toHaveText('Vink minstens één API aan waartoe je toegang verleent.');
	await expect(page.getByLabel('Leerlingen')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByRole('group', { name: 'API toegang' })).toHaveAttribute('aria-describedby', 'apis-hint apis-error');
	await expect(page.getByLabel('Leerlingen')).toBeFocused();
	await expect(page.getByRole('status').filter({ hasText: 'Toegang verleend' })).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-niets-aangevinkt');
	// The page blocks it first; the API answers an empty list with the field's own message.
	// The ID token the page holds, Informat's, is what the API takes.
	const idToken = await page.evaluate(() => sessionStorage.getItem('portal.informat.session'));
	expect(idToken).toBeTruthy();
	const empty = await ctx.post(`/access-requests/${link.split('/toegang/')[1]}/grant`, {
		headers: { authorization: `Bearer ${idToken}` },
		data: { institution: a, apis: [] }
	});
	expect(empty.status(), await empty.text()).toBe(400);
	expect((await empty.json()).errors).toEqual([expect.objectContaining({ field: 'apis', code: 'required' })]);
	// A tick at school A does not come along to another school: there the administrator starts over.
	await page.getByLabel('Leerlingen').check();

	// At school B only Personeel can be granted.
	await school.selectOption(b);
	await expect(page.getByLabel(/Leerlingen/)).toBeDisabled();
	await expect(page.getByLabel(/Leerlingen/)).not.toBeChecked();
	await expect(page.getByLabel('Personeel')).not.toBeChecked();
	await expect(page.locator('#apis-error')).toHaveCount(0);
	await page.getByRole('button', { name: 'Toegang verlenen' }).click();
	await expect(page.locator('#apis-error')).toContainText('Vink minstens één API aan');
	await page.getByLabel('Personeel').check();
	await page.getByRole('button', { name: 'Toegang verlenen' }).click();
	await expect(page.getByRole('status').filter({ hasText: `Toegang verleend voor instelling ${b}: Personeel.` })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-verleend');

	// And at school A both, each ticked by the administrator.
	await school.selectOption(a);
	await expect(page.getByLabel('Personeel')).not.toBeChecked();
	await page.getByLabel('Leerlingen').check();
	await page.getByLabel('Personeel').check();
	await page.getByRole('button', { name: 'Toegang verlenen' }).click();
	await expect(page.getByRole('status').filter({ hasText: `Toegang verleend voor instelling ${a}: Leerlingen, Personeel.` })).toBeVisible();

	// The school pages, one per school in the menu and in the switch.
	const menu = page.getByRole('navigation', { name: 'Beheermenu' });
	await expect(menu.getByRole('link', { name: `School ${other}` })).toBeVisible();
	await expect(menu.getByRole('link', { name: 'Moderatie' })).toHaveCount(0);
	await menu.getByRole('link', { name: `School ${a}` }).click();
	await expect(page.getByRole('heading', { level: 1, name: `Applicaties met toegang · school ${a}` })).toBeVisible();
	const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app.name }) });
	await expect(card).toContainText('Leerlingen');
	await expect(card).toContainText('Personeel');
	await expect(card).toContainText(`door ${admin}`);
	await expectAccessible(page);
	await screenshots(page, 'beheer-school');
	await card.getByRole('button', { name: `Toegang aanpassen voor ${app.name}` }).click();
	await expect(card.getByLabel(/Rekeningen/)).toBeDisabled();
	await expectAccessible(page);
	await screenshots(page, 'beheer-school-aanpassen');
	await card.getByRole('button', { name: 'Annuleren' }).click();

	await page.getByLabel('Andere school').selectOption(b);
	await expect(page).toHaveURL(new RegExp(`/beheer/scholen/${b}$`));
	const atB = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app.name }) });
	await expect(atB).toContainText('Personeel');
	await expect(atB).not.toContainText('Leerlingen');
	await page.getByLabel('Andere school').selectOption(other);
	await expect(page.getByText('Er zijn nog geen applicaties met toegang tot de gegevens van deze school.')).toBeVisible();

	// A school this administrator does not manage: the API's Dutch refusal.
	await page.goto(`/beheer/scholen/${uniqueInstitution()}`);
	await expect(page.getByRole('alert')).toContainText('Je bent geen schoolbeheerder van instelling');

	// Revoking the last API from Toegang aanpassen asks first.
	await page.goto(`/beheer/scholen/${b}`);
	await atB.getByRole('button', { name: `Toegang aanpassen voor ${app.name}` }).click();
	await atB.getByLabel('Personeel').uncheck();
	await atB.getByRole('button', { name: 'Opslaan' }).click();
	const revoke = page.getByRole('dialog', { name: 'Toegang intrekken' });
	await expect(revoke).toBeVisible();
	// No field in this pop-up: the focus starts on its first button, not on the alert region.
	await expect(revoke.getByRole('button', { name: 'Annuleren' })).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'beheer-school-intrekken');
	await revoke.getByRole('button', { name: 'Intrekken' }).click();
	await expect(page.getByText('Er zijn nog geen applicaties met toegang tot de gegevens van deze school.')).toBeVisible();
});

test('an administrator without the rights the app asks for, an unknown link, and a colleague who grants with the link sent to another', async ({ page }) => {
	const ctx = await api();
	const app = await partnerWithApplication(ctx, ['leerlingen']);
	await approve(ctx, await moderatorToken(ctx), app.id);
	const school = uniqueInstitution();
	const addressee = await schoolAdmin(ctx, 'ict', `personeel:${school}`);
	const link = await accessRequestLink(ctx, app, addressee);

	// The addressee administers the school, but not Leerlingen there: nothing to grant.
	await page.goto(link);
	await fillInformatSignIn(page, addressee);
	await expect(page.getByRole('heading', { level: 1, name: `Datatoegang voor applicatie ${app.name}` })).toBeVisible();
	await expect(page.getByText('Je hebt geen beheerdersrechten voor de API\'s die deze applicatie vraagt (Leerlingen)')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Toegang verlenen' })).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-geen-rechten');

	// An unknown token.
	await page.goto(`${BACKOFFICE}/toegang/onbekend-${Date.now()}`);
	await expect(page.getByRole('heading', { level: 1, name: 'Deze link is ongeldig' })).toBeVisible();
	await expect(page.getByRole('alert')).toContainText('bestaat niet');
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-ongeldig');

	// A colleague with the rights opens the link that was mailed to the addressee (issue 22, item
	// 3): Afmelden first, and Informat asks the next person for a password again.
	await page.getByRole('button', { name: 'Afmelden' }).click();
	await expect(page.getByText('Je bent afgemeld.')).toBeVisible();
	const colleague = await schoolAdmin(ctx, 'ander', `leerlingen:${school}`);
	await page.goto(link);
	await fillInformatSignIn(page, colleague);
	await expect(page.getByRole('heading', { level: 1, name: `Datatoegang voor applicatie ${app.name}` })).toBeVisible();
	const sentTo = page.getByRole('definition').filter({ hasText: addressee });
	await expect(sentTo).toContainText('Elke schoolbeheerder met rechten voor de school en de API\'s kan deze link gebruiken.');
	await page.getByLabel('Leerlingen').check();
	await page.getByRole('button', { name: 'Toegang verlenen' }).click();
	await expect(page.getByRole('status').filter({ hasText: `Toegang verleend voor instelling ${school}: Leerlingen` })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-toegang-collega');
	// The school's page says who granted.
	await page.getByRole('link', { name: `Bekijk de applicaties van school ${school}` }).click();
	await expect(page.getByText(colleague).first()).toBeVisible();
});

test('moderator sign-in: by keyboard alone, field errors beside their fields, the API\'s message for wrong credentials, sign-out', async ({ page }) => {
	const ctx = await api();
	const admin = await staffUser(ctx, 'toetsenbord', { groups: ['moderators'] });
	await page.goto('/beheer/aanmelden');
	await expectAccessible(page);
	await screenshots(page, 'beheer-aanmelden');

	// Nothing filled in: a message beside each field, focus on the first.
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.locator('#email-error')).toContainText('Vul je e-mailadres in.');
	await expect(page.locator('#password-error')).toContainText('Vul je wachtwoord in.');
	await expect(page.locator('#email')).toBeFocused();
	await expectAccessible(page);
	await screenshots(page, 'beheer-aanmelden-fouten');

	// A wrong password: the API's Dutch detail.
	await page.getByLabel('E-mailadres').fill(admin);
	await page.getByLabel('Wachtwoord', { exact: true }).fill('Fout!Wachtwoord99');
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('alert').first()).toContainText('niet correct');

	// The keyboard alone: Tab to each field, type, Enter.
	await page.goto('/beheer/aanmelden');
	await page.locator('body').focus();
	await page.keyboard.press('Tab'); // skip link
	await page.keyboard.press('Tab'); // brand
	await page.keyboard.press('Tab'); // Aanmelden met je Informat-account
	await page.keyboard.press('Tab');
	await expect(page.getByLabel('E-mailadres')).toBeFocused();
	await page.keyboard.type(admin);
	await page.keyboard.press('Tab');
	await expect(page.getByLabel('Wachtwoord', { exact: true })).toBeFocused();
	await page.keyboard.type(PASSWORD);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/beheer\/moderatie$/);
	await expect(page.getByRole('heading', { level: 1, name: 'Moderatie' })).toBeVisible();

	// A reload keeps the session (the refresh token of this tab); Afmelden ends it.
	await page.reload();
	await expect(page.getByRole('heading', { level: 1, name: 'Moderatie' })).toBeVisible();
	expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);
	const refreshToken = await page.evaluate(() => sessionStorage.getItem('portal.staff.refresh'));
	expect(refreshToken).toBeTruthy();
	await page.getByRole('button', { name: 'Afmelden' }).click();
	await expect(page).toHaveURL(/\/beheer\/aanmelden\?afgemeld=1$/);
	// Afmelden revoked the refresh token: a copy of it gives no new tokens.
	const refreshed = await ctx.post('/staff/sessions/refresh', { data: { refresh_token: refreshToken } });
	expect(refreshed.status()).toBe(401);
	expect((await refreshed.json()).code).toBe('invalid_credentials');
	await page.goto('/beheer/moderatie');
	await expect(page).toHaveURL(/\/beheer\/aanmelden\?terug=/);

	// The partner's sign-in and the back office's are separate sessions.
	await staffSignIn(page, admin);
	await page.goto('/profiel');
	await expect(page).toHaveURL(/\/aanmelden\?terug=%2Fprofiel$/);
});

test('a school administrator signs in with its Informat account, by keyboard: PKCE at Informat, its schools from its rights, sign-out', async ({ page }) => {
	const ctx = await api();
	const [a, b] = [uniqueInstitution(), uniqueInstitution()].sort() as [string, string];
	const admin = await schoolAdmin(ctx, 'informat', `leerlingen:${a} personeel:${b}`);
	await page.goto('/beheer/aanmelden');
	await expect(page.getByRole('heading', { level: 2, name: 'Schoolbeheerder' })).toBeVisible();
	await expectAccessible(page);

	// Tab to the button, Enter: Informat's sign-in page, asked with PKCE (S256) and a state.
	await page.locator('body').focus();
	await page.keyboard.press('Tab'); // skip link
	await page.keyboard.press('Tab'); // brand
	await page.keyboard.press('Tab');
	const button = page.getByRole('button', { name: 'Aanmelden met je Informat-account' });
	await expect(button).toBeFocused();
	const authorize = page.waitForRequest((r) => r.url().includes('/auth?'));
	await page.keyboard.press('Enter');
	const asked = new URL((await authorize).url());
	expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
	expect(asked.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
	expect(asked.searchParams.get('state')).toBeTruthy();
	expect(asked.searchParams.get('redirect_uri')).toBe(`${BACKOFFICE}/aanmelden/informat`);
	await expect(page.getByRole('heading', { level: 1, name: 'Aanmelden met je Informat-account' })).toBeVisible();

	// A wrong password: Informat says so, and nothing is signed in.
	await page.getByLabel('Gebruikersnaam').fill(admin);
	await page.getByLabel('Wachtwoord').fill('Fout!Wachtwoord99');
	await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
	await expect(page.getByRole('alert')).toContainText('Je gebruikersnaam of wachtwoord is niet juist.');
	await page.getByLabel('Wachtwoord').fill(PASSWORD);
	await page.getByLabel('Wachtwoord').press('Enter');

	// Back in the back office, at its first school; the menu has both schools.
	await expect(page).toHaveURL(new RegExp(`/beheer/scholen/${a}$`));
	await expect(page.getByRole('heading', { level: 1, name: `Applicaties met toegang · school ${a}` })).toBeVisible();
	const menu = page.getByRole('navigation', { name: 'Beheermenu' });
	await expect(menu.getByRole('link', { name: `School ${b}` })).toBeVisible();
	await expect(menu.getByText(admin)).toBeVisible();
	await expect(menu.getByRole('link', { name: 'Moderatie' })).toHaveCount(0);
	await expectAccessible(page);
	await screenshots(page, 'beheer-informat-school');

	// A reload keeps the session in this tab; nothing in localStorage.
	await page.reload();
	await expect(page.getByRole('heading', { level: 1, name: `Applicaties met toegang · school ${a}` })).toBeVisible();
	expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);

	// A moderator route does not take Informat's token; the school routes do not take another school.
	const idToken = await page.evaluate(() => sessionStorage.getItem('portal.informat.session'));
	const queue = await ctx.get('/admin/applications', { headers: { authorization: `Bearer ${idToken}` } });
	expect(queue.status()).toBe(401);
	const elsewhere = await ctx.get(`/schools/${uniqueInstitution()}/applications`, { headers: { authorization: `Bearer ${idToken}` } });
	expect(elsewhere.status()).toBe(403);

	// Afmelden: signed out here, and the next sign-in asks Informat for the password again.
	await menu.getByRole('button', { name: 'Afmelden' }).click();
	await expect(page).toHaveURL(/\/beheer\/aanmelden\?afgemeld=1$/);
	expect(await page.evaluate(() => sessionStorage.getItem('portal.informat.session'))).toBeNull();
	await page.getByRole('button', { name: 'Aanmelden met je Informat-account' }).click();
	await expect(page.getByLabel('Gebruikersnaam')).toBeVisible();

	// A forged answer (a state this tab did not send) is refused with a message.
	await page.goto(`/beheer/aanmelden/informat?code=vervalst&state=vervalst`);
	await expect(page.getByRole('alert')).toContainText('Deze aanmelding werd niet vanuit dit venster gestart of is al gebruikt.');
	await expectAccessible(page);
	await screenshots(page, 'beheer-informat-fout');
});

test('too many failed staff sign-ins: the API\'s 429 message on the page', async ({ page }) => {
	const ctx = await api();
	const admin = await staffUser(ctx, 'geblokkeerd', { groups: ['moderators'] });
	// Five wrong passwords for this address (api.md: throttled per address), then the page.
	for (let i = 0; i < 5; i++) {
		const res = await ctx.post('/staff/sessions', { data: { email: admin, password: `Fout!Wachtwoord${i}9` } });
		expect(res.status()).toBe(401);
	}
	await page.goto('/beheer/aanmelden');
	await fillStaffSignIn(page, admin);
	const alert = page.getByRole('alert').first();
	await expect(alert).not.toBeEmpty();
	await expect(page).toHaveURL(/\/beheer\/aanmelden$/);
	const res = await ctx.post('/staff/sessions', { data: { email: admin, password: PASSWORD } });
	expect(res.status()).toBe(429);
	const detail = ((await res.json()) as { detail: string }).detail;
	await expect(alert).toContainText(detail.slice(0, 40));
	await expectAccessible(page);
	await screenshots(page, 'beheer-aanmelden-te-veel');
});

test('an archived application on the school page shows Gearchiveerd, without buttons whose action would fail', async ({ page }) => {
	const ctx = await api();
	const mod = await moderatorToken(ctx);
	const [kept, gone] = [await partnerWithApplication(ctx, ['leerlingen']), await partnerWithApplication(ctx, ['leerlingen'])];
	const institution = uniqueInstitution();
	const { email: admin, idToken } = await schoolAdminWithToken(ctx, 'directie', `leerlingen:${institution}`);
	for (const app of [kept, gone]) {
		await approve(ctx, mod, app.id);
		const link = await accessRequestLink(ctx, app, admin);
		const granted = await ctx.post(`/access-requests/${link.split('/toegang/')[1]}/grant`, {
			headers: { authorization: `Bearer ${idToken}` },
			data: { institution, apis: ['leerlingen'] }
		});
		expect(granted.status(), await granted.text()).toBe(200);
	}
	const archived = await ctx.post(`/admin/applications/${gone.id}/archive`, { headers: { authorization: `Bearer ${mod}` } });
	expect(archived.status(), await archived.text()).toBe(200);
	// What the page must not offer: the API refuses any change to an archived app's access.
	const refused = await ctx.put(`/schools/${institution}/applications/${gone.id}/access`, {
		headers: { authorization: `Bearer ${idToken}` },
		data: { apis: [] }
	});
	expect(refused.status(), await refused.text()).toBe(409);

	await schoolAdminSignIn(page, admin);
	await page.goto(`${BACKOFFICE}/scholen/${institution}`);
	const card = (app: { name: string }) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app.name }) });
	await expect(card(gone).locator('.status')).toHaveText('Gearchiveerd');
	await expect(card(gone)).toContainText('Informat heeft deze applicatie gearchiveerd');
	await expect(card(gone).getByRole('button')).toHaveCount(0);
	// The approved one keeps its buttons.
	await expect(card(kept).locator('.status')).toHaveText('Goedgekeurd');
	await expect(card(kept).getByRole('button', { name: `Toegang aanpassen voor ${kept.name}` })).toBeVisible();
	await expect(card(kept).getByRole('button', { name: `Toegang intrekken voor ${kept.name}` })).toBeVisible();
	await expectAccessible(page);
	await screenshots(page, 'beheer-school-gearchiveerd');
});
