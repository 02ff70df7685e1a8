/** Applications of api.md, with the manual's Dutch names. */
export const APIS: { code: string; label: string }[] = [
	{ code: 'leerlingen', label: 'Leerlingen' },
	{ code: 'personeel', label: 'Personeel' },
	{ code: 'internen', label: 'Internen' },
	{ code: 'voorinschrijvingen', label: 'Voorinschrijvingen' },
	{ code: 'rekeningen', label: 'Rekeningen' }
];

export function apiLabel(code: string): string {
	return APIS.find((a) => a.code === code)?.label ?? code;
}

/** The manual's statuses: Nieuw, Goedgekeurd, Geweigerd, Gearchiveerd. */
const STATUSES: Record<string, string> = {
	new: 'Nieuw',
	approved: 'Goedgekeurd',
	rejected: 'Geweigerd',
	archived: 'Gearchiveerd'
};

export function statusLabel(status: string): string {
	return STATUSES[status] ?? status;
}

export interface ApplicationInput {
	name: string;
	description: string;
	contact_name: string;
	contact_email: string;
	apis: string[];
}

export interface Application extends ApplicationInput {
	id: string;
	/** Whether the contact confirmed its address; until then it gets only its confirmation mail. */
	contact_email_confirmed: boolean;
	status: 'new' | 'approved' | 'rejected' | 'archived';
	client_id: string | null;
	rejection_reason: string | null;
	secret_created_at: string | null;
	created_at: string;
	updated_at: string;
	version: number;
}
