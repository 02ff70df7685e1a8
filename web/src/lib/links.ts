/** Text cut into plain parts and links, to render links clickable without any HTML. */
export interface Part {
	text: string;
	href: string | null;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"')\]]+/g;

/**
 * Cuts `text` into parts; a URL becomes a link only when `clickable` accepts it. The default
 * accepts every http(s) URL: only for text the portal itself wrote (the local mailbox).
 */
export function linkParts(text: string, clickable: (url: string) => boolean = () => true): Part[] {
	const out: Part[] = [];
	let last = 0;
	for (const m of text.matchAll(URL_IN_TEXT)) {
		if (!clickable(m[0])) continue;
		const at = m.index ?? 0;
		if (at > last) out.push({ text: text.slice(last, at), href: null });
		out.push({ text: m[0], href: m[0] });
		last = at + m[0].length;
	}
	if (last < text.length) out.push({ text: text.slice(last), href: null });
	return out;
}

/**
 * Whether `url` is exactly one of the portal's own access-request links,
 * `<backoffice>/toegang/<token>` (issue 21): partner-typed URLs in a log (a website, a
 * description) stay text, so a colleague is never one click from a partner's page.
 */
export function isAccessLink(url: string, backoffice: string): boolean {
	const prefix = `${backoffice.replace(/\/+$/, '')}/toegang/`;
	return url.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(url.slice(prefix.length));
}
