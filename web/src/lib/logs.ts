/** A log entry of api.md: one per changed property, newest first. */
export interface LogEntry {
	at: string;
	action: string;
	property: string;
	user: string;
	from: string | null;
	to: string | null;
}

/** The actions as the manual's Logs tab names them. */
const ACTIONS: Record<string, string> = {
	created: 'Nieuw',
	updated: 'Gewijzigd',
	removed: 'Verwijderd',
	sent: 'Verstuurd',
	granted: 'Toegekend',
	revoked: 'Ingetrokken',
	expired: 'Verlopen',
	approved: 'Goedgekeurd',
	rejected: 'Geweigerd',
	archived: 'Gearchiveerd',
	linked: 'Gekoppeld'
};

export function actionLabel(action: string): string {
	return ACTIONS[action] ?? action;
}

/** 2026-05-07 13:53:16, in the browser's time zone, as the manual's screenshot shows it. */
export function dateTime(at: string): string {
	const d = new Date(at);
	if (Number.isNaN(d.getTime())) return at;
	const p = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
