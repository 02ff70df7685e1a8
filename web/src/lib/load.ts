import { error } from '@sveltejs/kit';
import { ApiError, detailOf } from './api';

/**
 * A load's failed read as error(): the zone's +error.svelte shows `title` with the API's Dutch
 * detail, or with the message given for the status (404 "bestaat niet", 410 "verlopen", ...).
 */
export function failed(
	e: unknown,
	page: {
		title: string | ((status: number) => string);
		back?: { href: string; label: string };
		messages?: Record<number, string>;
		hint?: (status: number) => string | undefined;
		next?: { href: string; label: string };
	}
): never {
	const status = e instanceof ApiError && e.status >= 400 && e.status <= 599 ? e.status : 503;
	const title = typeof page.title === 'function' ? page.title(status) : page.title;
	error(status, { message: page.messages?.[status] ?? detailOf(e), title, back: page.back, hint: page.hint?.(status), next: page.next });
}
