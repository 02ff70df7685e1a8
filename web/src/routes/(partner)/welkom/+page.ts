import { redirect } from '@sveltejs/kit';
import { detailOf } from '$lib/api';
import { loadMe } from '$lib/session.svelte';
import type { PageLoad } from './$types';

// The manual's first sign-in screen: an account with a profile goes on to Mijn profiel.
export const load: PageLoad = async ({ parent }) => {
	await parent();
	const me = await loadMe().catch((e: unknown) => detailOf(e));
	if (typeof me === 'string') return { error: me };
	if (me.profile) redirect(307, '/profiel');
	return { error: null };
};
