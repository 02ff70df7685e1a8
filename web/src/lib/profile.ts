import { detailOf, type Page } from './api';
import type { LogEntry } from './logs';
import { authed } from './session.svelte';
import type { components } from './api-types';
/** The partner profile of api.md, and what the forms send. */
export type Address = components['schemas']['Address'];

export type ProfileInput = components['schemas']['ProfileInput'];

export type Profile = components['schemas']['Profile'];

/** A user linked to the partner profile (GET /profile/users). */
export interface ProfileUser {
	email: string;
	linked_at: string;
}

/** The manual: "Afbeelding van max. 1 MB"; the API takes PNG, JPEG or WebP up to 1 MiB. */
export const LOGO_MAX_BYTES = 1_048_576;
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** A first check in the browser, before the upload (the API checks the bytes themselves). */
export function logoProblem(file: File): string | null {
	if (!LOGO_TYPES.includes(file.type)) {
		return 'Kies een PNG-, JPEG- of WebP-afbeelding. Andere formaten, zoals SVG, worden niet aanvaard.';
	}
	if (file.size > LOGO_MAX_BYTES) {
		return 'Het logo is te groot: een logo mag maximaal 1 MB (1.048.576 bytes) zijn.';
	}
	return null;
}

/** The first page of the profile's logs, or why it could not be read. */
export type LogsRead = { logs: LogEntry[]; cursor: string | null; error: string | null };

export function readLogs(cursor: string | null = null): Promise<LogsRead> {
	return authed<Page<LogEntry>>('GET', '/profile/logs', { query: { limit: 20, cursor } }).then(
		(page) => ({ logs: page.items, cursor: page.next_cursor, error: null }),
		(e: unknown) => ({ logs: [], cursor, error: detailOf(e) })
	);
}
