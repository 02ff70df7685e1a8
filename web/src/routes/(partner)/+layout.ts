import { redirect } from '@sveltejs/kit';
import { ensureSession, loadMe } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// Every page of the partner zone needs a session: without one, go to the sign-in page and come
// back here afterwards. Runs once per visit to the zone, not on every navigation inside it (the
// address is read untracked); invalidate('app:session') checks again.
export const load: LayoutLoad = async ({ parent, url, untrack, depends }) => {
	depends('app:session');
	await parent();
	if (!(await ensureSession())) {
		const back = untrack(() => url.pathname + url.search);
		redirect(307, `/aanmelden?terug=${encodeURIComponent(back)}`);
	}
	// The sidebar names the signed-in account.
	loadMe().catch(() => {});
	return {};
};
