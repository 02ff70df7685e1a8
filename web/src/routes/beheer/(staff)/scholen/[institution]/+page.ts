import { detailOf, type Page } from '$lib/api';
import { staffCall, type SchoolApplication } from '$lib/staff.svelte';
import type { PageLoad } from './$types';

// invalidate('app:school') reads it again after a change of access; a failed read shows on the page.
export const load: PageLoad = async ({ params, parent, depends }) => {
	depends('app:school');
	await parent();
	try {
		const res = await staffCall<Page<SchoolApplication>>('GET', `/schools/${encodeURIComponent(params.institution)}/applications`);
		return { apps: res.items, error: null };
	} catch (e) {
		return { apps: null, error: detailOf(e) };
	}
};
