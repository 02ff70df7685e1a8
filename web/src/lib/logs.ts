import type { components } from './api-types';
/** A log entry of api.md: one per changed property, newest first. */
export type LogEntry = components['schemas']['LogEntry'];

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
