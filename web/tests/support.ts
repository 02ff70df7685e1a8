import AxeBuilder from '@axe-core/playwright';
import { expect, request, test as base, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

/** The local stack's API (scripts/e2e.sh exports it). */
export const API = (process.env.PORTAL_API_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
/** A passphrase the password rules and a strength estimate (zxcvbn) both accept. */
export const PASSWORD = 'Blauwe-Fiets!Koffie42';

let counter = 0;
/** An address no other test (or earlier run against the same stack) uses. */
export function uniqueEmail(name: string): string {
	counter += 1;
	return `${name}.${Date.now().toString(36)}${counter}@voorbeeld.be`;
}

export async function api(): Promise<APIRequestContext> {
	return request.newContext({ baseURL: API });
}

export interface Mail {
	to: string[];
	from: string;
	subject: string;
	text: string;
	html: string;
	sent_at: string;
}

/** Waits for the newest mail to `to` whose subject contains `subject` (GET /_local/mails). */
export async function mailTo(ctx: APIRequestContext, to: string, subject: string): Promise<Mail> {
	let found: Mail | undefined;
	await expect
		.poll(
			async () => {
				const res = await ctx.get('/_local/mails');
				const body = (await res.json()) as { items: Mail[] };
				found = body.items.filter((m) => m.to.includes(to) && m.subject.includes(subject)).at(-1);
				return found !== undefined;
			},
			{ message: `a mail "${subject}" to ${to}`, timeout: 15_000 }
		)
		.toBe(true);
	return found as Mail;
}

/** The first link in a mail's text that starts with `prefix`. */
export function linkIn(mail: Mail, prefix: string): string {
	const link = mail.text.match(/https?:\/\/\S+/g)?.find((l) => l.startsWith(prefix));
	if (!link) throw new Error(`no link ${prefix}… in mail "${mail.subject}":\n${mail.text}`);
	return link;
}

/** Registers and activates an account over HTTP (for tests whose subject is elsewhere). */
export async function activeAccount(ctx: APIRequestContext, email: string, portal: string): Promise<void> {
	const res = await ctx.post('/accounts', { data: { email, password: PASSWORD, accept_terms: true } });
	expect(res.status(), await res.text()).toBe(202);
	const mail = await mailTo(ctx, email, 'Activeer');
	const token = new URL(linkIn(mail, `${portal}/activeren`)).searchParams.get('token');
	const act = await ctx.post('/accounts/activate', { data: { token } });
	expect(act.status(), await act.text()).toBe(204);
}

export async function signInApi(ctx: APIRequestContext, email: string): Promise<string> {
	const res = await ctx.post('/sessions', { data: { email, password: PASSWORD } });
	expect(res.status(), await res.text()).toBe(200);
	return ((await res.json()) as { access_token: string }).access_token;
}

/** axe with the WCAG 2.0/2.1 A and AA rules: no violations allowed. */
export async function expectAccessible(page: Page): Promise<void> {
	const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
	const summary = result.violations.map(
		(v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`
	);
	expect(summary, summary.join('\n')).toEqual([]);
}

/** Presses Tab until the element matching `selector` has the focus (at most `max` times). */
export async function tabTo(page: Page, selector: string, max = 25): Promise<void> {
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		if (await page.locator(selector).evaluate((el) => el === document.activeElement)) return;
	}
	throw new Error(`Tab never reached ${selector}`);
}

/** The focused element shows a visible focus indicator (an outline that is not none). */
export async function expectVisibleFocus(page: Page): Promise<void> {
	const outline = await page.evaluate(() => {
		const el = document.activeElement as HTMLElement | null;
		if (!el) return 'none';
		const s = getComputedStyle(el);
		return `${s.outlineStyle} ${s.outlineWidth}`;
	});
	expect(outline).not.toMatch(/^none/);
	expect(outline).not.toMatch(/ 0px$/);
}

/**
 * Screenshots of the page at 375 px and 1280 px wide, written as test artefacts: the whole page,
 * or, while a modal dialog is open, the window as a person sees it. (A full-page capture of an
 * open modal draws its backdrop, which is fixed to the window, over the scrolled-to part only:
 * it looked as if the dim stopped half-way down the page.)
 */
export async function screenshots(page: Page, name: string): Promise<void> {
	mkdirSync('test-results/screenshots', { recursive: true });
	const before = page.viewportSize() ?? { width: 1280, height: 800 };
	const modal = (await page.locator('dialog:modal').count()) > 0;
	for (const width of [375, 1280]) {
		await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
		if (modal) await expectBackdropCoversWindow(page);
		// Two frames, so the page is laid out and painted at the new width before the capture.
		await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
		await page.screenshot({ path: `test-results/screenshots/${name}-${width}.png`, fullPage: !modal });
	}
	await page.setViewportSize(before);
}

/**
 * The open modal's backdrop is fixed to the window and covers all of it: its style, and a point in
 * each corner of the window hits the dialog (its backdrop), not the page behind it.
 */
async function expectBackdropCoversWindow(page: Page): Promise<void> {
	const backdrop = await page.locator('dialog:modal').evaluate((d) => {
		const s = getComputedStyle(d, '::backdrop');
		const w = innerWidth - 2;
		const h = innerHeight - 2;
		const corners = [[1, 1], [w, 1], [1, h], [w, h]].map(([x, y]) => document.elementFromPoint(x as number, y as number) === d);
		return { position: s.position, inset: [s.top, s.right, s.bottom, s.left].join(' '), bg: s.backgroundColor, corners };
	});
	expect(backdrop.position).toBe('fixed');
	expect(backdrop.inset).toBe('0px 0px 0px 0px');
	expect(backdrop.bg).not.toBe('rgba(0, 0, 0, 0)');
	expect(backdrop.corners).toEqual([true, true, true, true]);
}

/** A valid PNG of w×h pixels in one colour (every chunk with its CRC), made here. */
export function png(w: number, h: number, rgb: [number, number, number]): Buffer {
	const crcTable = Array.from({ length: 256 }, (_, n) => {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		return c >>> 0;
	});
	const crc = (buf: Buffer) => {
		let c = 0xffffffff;
		for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
		return (c ^ 0xffffffff) >>> 0;
	};
	const chunk = (type: string, data: Buffer) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const c = Buffer.alloc(4);
		c.writeUInt32BE(crc(td));
		return Buffer.concat([len, td, c]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // truecolour
	const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3).map((_, i) => rgb[i % 3] as number)]);
	const raw = Buffer.concat(Array.from({ length: h }, () => row));
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw)),
		chunk('IEND', Buffer.alloc(0))
	]);
}

/**
 * Playwright's test, plus a check after each test that the page broke no rule of the strict
 * Content-Security-Policy (the static server sends the deployed host's header).
 */
export const test = base.extend<{ cspGuard: void }>({
	cspGuard: [
		async ({ page }, use) => {
			const violations: string[] = [];
			page.on('console', (msg) => {
				if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) violations.push(msg.text());
			});
			await use();
			expect(violations, violations.join('\n')).toEqual([]);
		},
		{ auto: true }
	]
});
