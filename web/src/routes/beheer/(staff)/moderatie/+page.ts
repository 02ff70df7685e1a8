import { detailOf, type Page } from '$lib/api';
import { STATUS_ORDER, type ApplicationStatus } from '$lib/applications';
import { staffCall, type ReviewedApplication } from '$lib/staff.svelte';
import type { PageLoad } from './$types';

// The first page of the queue for ?status= (read again when it changes); a failed read shows
// under the tabs.
export const load: PageLoad = async ({ url, parent }) => {
	await parent();
	const given = url.searchParams.get('status') ?? '';
	const status: ApplicationStatus = (STATUS_ORDER as readonly string[]).includes(given) ? (given as ApplicationStatus) : 'new';
	try {
		const res = await staffCall<Page<ReviewedApplication>>('GET', '/admin/applications', { query: { status, limit: 50 } });
		return { status, apps: res.items, cursor: res.next_cursor, error: null };
	} catch (e) {
		return { status, apps: [] as ReviewedApplication[], cursor: null, error: detailOf(e) };
	}
};
