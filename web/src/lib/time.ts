// Every time the portal shows is Belgian time (Europe/Brussels, summer and winter time by the
// browser's time-zone data), with the date in Dutch, whatever the reader's own time zone is.
// The API keeps UTC; a <time datetime={...}> keeps that UTC value in its attribute.
// No SvelteKit imports here: the browser tests import this module directly.

export const TIME_ZONE = 'Europe/Brussels';

const dateFormat = new Intl.DateTimeFormat('nl-BE', {
	timeZone: TIME_ZONE,
	day: 'numeric',
	month: 'long',
	year: 'numeric'
});

const dateTimeFormat = new Intl.DateTimeFormat('nl-BE', {
	timeZone: TIME_ZONE,
	day: 'numeric',
	month: 'long',
	year: 'numeric',
	hour: '2-digit',
	minute: '2-digit',
	hourCycle: 'h23'
});

function parse(at: string): Date | null {
	const d = new Date(at);
	return Number.isNaN(d.getTime()) ? null : d;
}

/** The named parts, put together here so the connecting words do not depend on the browser's ICU. */
function parts(format: Intl.DateTimeFormat, d: Date): Record<string, string> {
	const out: Record<string, string> = {};
	for (const p of format.formatToParts(d)) if (p.type !== 'literal') out[p.type] = p.value;
	return out;
}

/** "7 december 2026 om 10:30" in Belgian time; a value that is no time is shown as it came. */
export function dateTime(at: string): string {
	const d = parse(at);
	if (!d) return at;
	const p = parts(dateTimeFormat, d);
	return `${p.day} ${p.month} ${p.year} om ${p.hour}:${p.minute}`;
}

/** "7 december 2026": the day in Belgium; a value that is no time is shown as it came. */
export function date(at: string): string {
	const d = parse(at);
	if (!d) return at;
	const p = parts(dateFormat, d);
	return `${p.day} ${p.month} ${p.year}`;
}
