import type { Page } from '$lib/api';
import { detailOf } from '$lib/api';
import type { Access, AccessRequest, Application, RegisteredKey } from '$lib/applications';
import { failed } from '$lib/load';
import type { LogEntry } from '$lib/logs';
import { authed } from '$lib/session.svelte';
import type { PageLoad } from './$types';

/** The manual's tabs of an application (?tab= in the address). */
export type Tab = 'algemeen' | 'api-toegang' | 'logs';

/** What a tab shows besides the application; a tab that could not be read says why. */
export type TabData =
	| { tab: 'algemeen' }
	| { tab: 'api-toegang'; access: Access[]; requests: AccessRequest[] }
	| { tab: 'logs'; logs: LogEntry[]; cursor: string | null; requests: AccessRequest[] }
	| { tab: 'api-toegang' | 'logs'; error: string };

async function readTab(tab: Tab, path: string): Promise<TabData> {
	try {
		if (tab === 'api-toegang') {
			const [a, r] = await Promise.all([
				authed<{ items: Access[] }>('GET', `${path}/access`),
				authed<Page<AccessRequest>>('GET', `${path}/access-requests`)
			]);
			return { tab, access: a.items, requests: r.items };
		}
		if (tab === 'logs') {
			// The requests tell which logged links expired (a request and its log entry share their time).
			const [l, r] = await Promise.all([
				authed<Page<LogEntry>>('GET', `${path}/logs`, { query: { limit: 50 } }),
				authed<Page<AccessRequest>>('GET', `${path}/access-requests`).catch(() => ({ items: [] as AccessRequest[], next_cursor: null }))
			]);
			return { tab, logs: l.items, cursor: l.next_cursor, requests: r.items };
		}
		return { tab };
	} catch (e) {
		return { tab: tab as 'api-toegang' | 'logs', error: detailOf(e) };
	}
}

// invalidate('app:application') reads it again (after a new secret, requests sent).
export const load: PageLoad = async ({ params, url, parent, depends }) => {
	depends('app:application');
	await parent();
	const given = url.searchParams.get('tab');
	const tab: Tab = given === 'api-toegang' || given === 'logs' ? given : 'algemeen';
	const path = `/applications/${encodeURIComponent(params.id)}`;
	const [read, tabData] = await Promise.all([
		authed<Application & { keys?: RegisteredKey[] }>('GET', path).catch((e: unknown) =>
			failed(e, { title: 'Applicatie', back: { href: '/applicaties', label: 'Applicaties' }, messages: { 404: 'Deze applicatie bestaat niet.' } })
		),
		readTab(tab, path)
	]);
	return { app: read, keys: read.keys ?? [], tab: tabData };
};
