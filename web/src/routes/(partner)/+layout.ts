import { redirect } from '@sveltejs/kit';
import { ensureSession, loadMe } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// Every page of the partner zone needs a session: without one, go to the sign-in page and come
// back here afterwards. Once per visit of the zone (the address is read untracked: a page of the
// zone or a tab of one does not ask again).
export const load: LayoutLoad = async ({ untrack, url }) => {
	if (!(await ensureSession())) {
		const back = untrack(() => url.pathname + url.search);
		redirect(307, `/aanmelden?terug=${encodeURIComponent(back)}`);
	}
	// The sidebar names the signed-in account.
	loadMe().catch(() => {});
};
