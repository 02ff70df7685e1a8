import { isRedirect, redirect } from '@sveltejs/kit';
import { call, detailOf, type Category } from '$lib/api';
import { loadMe } from '$lib/session.svelte';
import type { PageLoad } from './$types';

// "Nieuw profiel toevoegen" for an account without one (with one: Mijn profiel).
export const load: PageLoad = async ({ parent }) => {
	await parent();
	try {
		const [me, categories] = await Promise.all([loadMe(), call<{ items: Category[] }>('GET', '/categories')]);
		if (me.profile) redirect(307, '/profiel');
		return { email: me.email, categories: categories.items, error: null };
	} catch (e) {
		if (isRedirect(e)) throw e;
		return { email: '', categories: [] as Category[], error: detailOf(e) };
	}
};
