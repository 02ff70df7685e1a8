import { failed } from '$lib/load';
import { staffCall, type ApplicationUnderReview } from '$lib/staff.svelte';
import type { PageLoad } from './$types';

// invalidate('app:review') reads it again after a decision.
export const load: PageLoad = async ({ params, parent, depends }) => {
	depends('app:review');
	await parent();
	const app = await staffCall<ApplicationUnderReview>('GET', `/admin/applications/${encodeURIComponent(params.id)}`).catch((e: unknown) =>
		failed(e, { title: 'Applicatie', back: { href: '/beheer/moderatie', label: 'Moderatie' }, messages: { 404: 'Deze applicatie bestaat niet.' } })
	);
	return { app };
};
