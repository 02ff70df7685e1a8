import { call, detailOf, type Category, type Page, type PublicPartner } from '$lib/api';
import type { PageLoad } from './$types';

// The directory for the address's search (q) and category: read again whenever they change (a
// search, a category, back and forward). A failed read shows above the results.
export const load: PageLoad = async ({ url, parent }) => {
	await parent();
	const q = url.searchParams.get('q') ?? '';
	const category = url.searchParams.get('categorie') ?? '';
	const [categories, partners] = await Promise.all([
		call<{ items: Category[] }>('GET', '/categories').then(
			(r) => ({ items: r.items, error: null }),
			(e: unknown) => ({ items: [] as Category[], error: detailOf(e) })
		),
		call<Page<PublicPartner>>('GET', '/partners', { query: { q: q || null, category: category || null, limit: 24 } }).then(
			(r) => ({ items: r.items, cursor: r.next_cursor, error: null }),
			(e: unknown) => ({ items: [] as PublicPartner[], cursor: null, error: detailOf(e) })
		)
	]);
	return { q, category, categories: categories.items, partners: partners.items, cursor: partners.cursor, error: partners.error ?? categories.error };
};
