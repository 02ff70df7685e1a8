import type { components } from './api-types';
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

/** The statuses in the moderators' order (their queue's tabs: new ones wait for a decision). */
export const STATUS_ORDER = ['new', 'approved', 'rejected', 'archived'] as const;
export type ApplicationStatus = (typeof STATUS_ORDER)[number];

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

/** GET /applications/{id} and the list (openapi.yaml's Application). */
export type Application = components['schemas']['Application'];

/** A registered public key (GET /applications/{id} `keys`, PUT .../jwks): its public JWK members,
 *  its RFC 7638 thumbprint and when it was added (null: before the portal kept that). */
export type RegisteredKey = components['schemas']['RegisteredKey'];

/** "EC P-256" or "RSA 2048 bits". */
export function keyType(key: RegisteredKey): string {
	return key.kty === 'EC' ? `EC ${key.crv ?? ''}`.trim() : `RSA ${key.bits ?? '?'} bits`;
}

/** The JWK as the API takes it back: without what the portal added to it. */
export function publicJwk(key: RegisteredKey): Record<string, unknown> {
	// eslint-disable-next-line @typescript-eslint/no-unused-vars
	const { thumbprint, added_at, bits, ...jwk } = key;
	return jwk;
}

/** A school's access to one API of an application (GET /applications/{id}/access). */
export interface Access {
	institution: string;
	api: string;
	granted_at: string | null;
	granted_by: string | null;
}

/** A request for access sent to a school's administrators (GET /applications/{id}/access-requests). */
export type AccessRequest = components['schemas']['AccessRequest'];
