import { expect } from '@playwright/test';
import { test } from './support';
import { gzipSync } from 'node:zlib';

// Issue 15's budgets: first load at most 100 KB of JavaScript and CSS (gzipped), and every page
// usable within 1 s of navigation against the local stack.
const KB = 1024;

test('first load: at most 100 KB of JavaScript and CSS, gzipped', async ({ page }) => {
	const sizes = new Map<string, number>();
	page.on('response', async (res) => {
		const type = res.headers()['content-type'] ?? '';
		if (!/javascript|css/.test(type)) return;
		const body = await res.body().catch(() => null);
		if (body) sizes.set(res.url(), gzipSync(body, { level: 9 }).length);
	});
	await page.goto('/', { waitUntil: 'networkidle' });
	await expect(page.getByRole('heading', { level: 1, name: 'Partners van Informat' })).toBeVisible();
	const total = [...sizes.values()].reduce((a, b) => a + b, 0);
	console.log(`first load of /: ${sizes.size} files, ${(total / KB).toFixed(1)} KB gzipped`);
	expect(sizes.size).toBeGreaterThan(0);
	expect(total).toBeLessThanOrEqual(100 * KB);
});

const PAGES: [string, string][] = [
	['/', 'Partners van Informat'],
	['/registreren', 'Registreren'],
	['/aanmelden', 'Aanmelden'],
	['/wachtwoord-vergeten', 'Wachtwoord vergeten?'],
	['/wachtwoord-herstellen?token=x', 'Nieuw wachtwoord kiezen'],
	['/activeren', 'Account activeren']
];

test('every public page is usable within 1 s of navigation', async ({ page }) => {
	// Start the browser's renderer for the origin first (a small file, not the app), so the first
	// figure measures the page rather than the test browser's own start.
	await page.goto('/favicon.svg');
	for (const [path, heading] of PAGES) {
		const start = Date.now();
		// From the request of the page until its heading shows and no call is pending (the page
		// has rendered what the API answered); images such as logos may still be arriving.
		await page.goto(path, { waitUntil: 'commit' });
		await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
		await expect(page.getByRole('status').filter({ hasText: /laden/i })).toHaveCount(0);
		const ms = Date.now() - start;
		console.log(`${path}: usable after ${ms} ms`);
		expect(ms, path).toBeLessThanOrEqual(1000);
	}
});
