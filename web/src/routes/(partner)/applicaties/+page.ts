import { redirect } from '@sveltejs/kit';
import { ApiError, detailOf, type Page } from '$lib/api';
import type { Application } from '$lib/applications';
import type { Profile } from '$lib/profile';
import { authed } from '$lib/session.svelte';
import type { PageLoad } from './$types';

// The first page of the partner's applications and whether Informat deactivated the partner.
// The statuses change elsewhere (a moderator): invalidate('app:applications') reads them again
// (lib/fresh.ts, on a visit and when the tab is shown again). Without a linked profile: Welkom.
export const load: PageLoad = async ({ parent, depends }) => {
	depends('app:applications');
	await parent();
	const [page, profile] = await Promise.all([
		authed<Page<Application>>('GET', '/applications').catch((e: unknown) => {
			if (e instanceof ApiError && e.code === 'profile_not_linked') redirect(307, '/welkom');
			return detailOf(e);
		}),
		authed<Profile>('GET', '/profile').catch(() => null)
	]);
	const deactivated = profile ? !profile.active : false;
	if (typeof page === 'string') return { apps: [] as Application[], cursor: null, error: page, deactivated };
	return { apps: page.items, cursor: page.next_cursor, error: null, deactivated };
};
