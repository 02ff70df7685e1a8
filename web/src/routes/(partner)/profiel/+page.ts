import { redirect } from '@sveltejs/kit';
import { ApiError, call, detailOf, type Category } from '$lib/api';
import { readLogs, type Profile, type ProfileUser } from '$lib/profile';
import { authed } from '$lib/session.svelte';
import type { PageLoad } from './$types';

// Mijn profiel: the profile, its users, the first page of its logs and the categories' labels.
// Without a linked profile: Welkom. A profile or users that cannot be read: the page says why.
export const load: PageLoad = async ({ parent }) => {
	await parent();
	const categories = call<{ items: Category[] }>('GET', '/categories').then(
		(r) => r.items,
		() => [] as Category[]
	);
	let profile: Profile;
	try {
		profile = await authed<Profile>('GET', '/profile');
	} catch (e) {
		if (e instanceof ApiError && e.code === 'profile_not_linked') redirect(307, '/welkom');
		return { profile: null, users: [], logs: { logs: [], cursor: null, error: null }, categories: await categories, error: detailOf(e) };
	}
	const [users, logs] = await Promise.all([
		authed<{ items: ProfileUser[] }>('GET', '/profile/users').then(
			(r) => ({ items: r.items, error: null }),
			(e: unknown) => ({ items: [] as ProfileUser[], error: detailOf(e) })
		),
		readLogs()
	]);
	return { profile, users: users.items, logs, categories: await categories, error: users.error };
};
