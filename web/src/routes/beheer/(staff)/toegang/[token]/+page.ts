import { failed } from '$lib/load';
import { staffCall, type AccessRequestView } from '$lib/staff.svelte';
import type { PageLoad } from './$types';

const TITLES: Record<number, string> = {
	410: 'Deze aanvraag is verlopen',
	404: 'Deze link is ongeldig',
	403: 'Geen toegang tot deze aanvraag'
};

// The access request behind the mail's link; an expired (410), unknown (404) or foreign (403)
// one is the zone's error page with its own heading and the API's Dutch detail.
export const load: PageLoad = async ({ params, parent }) => {
	await parent();
	const request = await staffCall<AccessRequestView>('GET', `/access-requests/${encodeURIComponent(params.token)}`).catch((e: unknown) =>
		failed(e, {
			title: (status) => TITLES[status] ?? 'De aanvraag kan niet geladen worden',
			hint: (status) => (status === 404 ? 'Controleer of je de volledige link uit de e-mail gebruikt. Een link blijft een maand geldig.' : undefined),
			next: { href: '/beheer', label: 'Naar het beheer' }
		})
	);
	return { request };
};
