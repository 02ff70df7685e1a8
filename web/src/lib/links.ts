/** Text cut into plain parts and http(s) links, to render links clickable without any HTML. */
export interface Part {
	text: string;
	href: string | null;
}

export function linkParts(text: string): Part[] {
	const out: Part[] = [];
	const re = /https?:\/\/[^\s<>"')\]]+/g;
	let last = 0;
	for (const m of text.matchAll(re)) {
		const at = m.index ?? 0;
		if (at > last) out.push({ text: text.slice(last, at), href: null });
		out.push({ text: m[0], href: m[0] });
		last = at + m[0].length;
	}
	if (last < text.length) out.push({ text: text.slice(last), href: null });
	return out;
}
