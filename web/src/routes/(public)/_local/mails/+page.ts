import { call, detailOf, type LocalMail } from '$lib/api';
import { config } from '$lib/config';
import type { PageLoad } from './$types';

// The local stack's mailbox, newest first; Vernieuwen is invalidate('app:mails'). It exists only
// where config.json says local_mailbox (never deployed).
export const load: PageLoad = async ({ parent, depends }) => {
	depends('app:mails');
	await parent();
	if (!config().local_mailbox) return { enabled: false, mails: [] as LocalMail[], error: null };
	try {
		const r = await call<{ items: LocalMail[] }>('GET', '/_local/mails');
		return { enabled: true, mails: [...r.items].reverse(), error: null };
	} catch (e) {
		return { enabled: true, mails: [] as LocalMail[], error: detailOf(e) };
	}
};
