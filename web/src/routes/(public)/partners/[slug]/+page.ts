import { call, type Category, type PublicPartner } from '$lib/api';
import { failed } from '$lib/load';
import type { PageLoad } from './$types';

// The partner and the categories' labels; a partner not (or no longer) public is a 404 that
// (public)/+error.svelte shows as "Partner niet gevonden".
export const load: PageLoad = async ({ params, parent }) => {
	await parent();
	const [partner, categories] = await Promise.all([
		call<PublicPartner>('GET', `/partners/${encodeURIComponent(params.slug)}`).catch((e: unknown) =>
			failed(e, {
				title: (status) => (status === 404 ? 'Partner niet gevonden' : 'Partner'),
				messages: { 404: 'Deze partner bestaat niet of wordt niet (meer) publiek getoond.' },
				next: { href: '/', label: 'Terug naar het overzicht' }
			})
		),
		call<{ items: Category[] }>('GET', '/categories').then(
			(r) => r.items,
			() => [] as Category[]
		)
	]);
	return { partner, labels: new Map(categories.map((c) => [c.code, c.label])) };
};
