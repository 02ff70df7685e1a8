import { redirect } from '@sveltejs/kit';
import { ensureStaff } from '$lib/staff.svelte';
import type { LayoutLoad } from './$types';

// Every page here needs a staff session: without one, sign in and come back to this page (a
// school administrator following the mail's link lands on the request afterwards). Runs once per
// visit to the back office (the address is read untracked); invalidate('app:session') checks again.
export const load: LayoutLoad = async ({ parent, url, untrack, depends }) => {
	depends('app:session');
	await parent();
	if (!(await ensureStaff())) {
		const back = untrack(() => url.pathname + url.search);
		redirect(307, `/beheer/aanmelden?terug=${encodeURIComponent(back)}`);
	}
	return {};
};
