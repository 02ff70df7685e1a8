import type { components } from './api-types';
import { config } from './config';

/** One refused field of a problem+json `validation_failed` answer. */
export interface FieldProblem {
	field: string;
	code: string;
	message: string;
}

/**
 * Every failed call, whatever the cause: an RFC 9457 problem from the API, an answer that is not
 * one, or no answer at all. `detail` is always a Dutch sentence to show; `fields` maps each
 * refused field to its Dutch messages, to show next to that field.
 */
export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly detail: string;
	readonly fields: Record<string, string[]>;
	/** The codes of each refused field (`weak_password`, ...), in the order of `fields`. */
	readonly fieldCodes: Record<string, string[]>;
	readonly retryAfter: number | null;

	constructor(status: number, code: string, detail: string, problems: FieldProblem[] = [], retryAfter: number | null = null) {
		super(detail);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.detail = detail;
		this.retryAfter = retryAfter;
		const fields: Record<string, string[]> = {};
		const fieldCodes: Record<string, string[]> = {};
		for (const p of problems) {
			(fields[p.field] ??= []).push(p.message);
			(fieldCodes[p.field] ??= []).push(p.code);
		}
		this.fields = fields;
		this.fieldCodes = fieldCodes;
	}

	/** The messages of one field (dotted names for nested fields, e.g. `address.city`). */
	field(name: string): string[] {
		return this.fields[name] ?? [];
	}
}

export const UNREACHABLE = 'De server is niet bereikbaar. Controleer je verbinding en probeer het opnieuw.';

function isFieldProblem(x: unknown): x is FieldProblem {
	if (typeof x !== 'object' || x === null) return false;
	const r = x as Record<string, unknown>;
	return typeof r.field === 'string' && typeof r.code === 'string' && typeof r.message === 'string';
}

async function toError(res: Response): Promise<ApiError> {
	const retry = Number(res.headers.get('retry-after'));
	const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
	const type = res.headers.get('content-type') ?? '';
	if (type.includes('json')) {
		try {
			const body = (await res.json()) as Record<string, unknown>;
			const detail = typeof body.detail === 'string' && body.detail ? body.detail : null;
			const code = typeof body.code === 'string' ? body.code : `http_${res.status}`;
			const errors = Array.isArray(body.errors) ? body.errors.filter(isFieldProblem) : [];
			if (detail) return new ApiError(res.status, code, detail, errors, retryAfter);
		} catch {
			// fall through to the general message
		}
	}
	return new ApiError(
		res.status,
		`http_${res.status}`,
		`Er ging iets mis (status ${res.status}). Probeer het later opnieuw.`,
		[],
		retryAfter
	);
}

export interface CallOptions {
	body?: unknown;
	/** Raw bytes instead of JSON (a logo), sent with the blob's own type. */
	raw?: Blob;
	/** A bearer token; the session module passes the right one. */
	token?: string | null;
	query?: Record<string, string | number | null | undefined>;
	signal?: AbortSignal;
}

/** Calls the API at config.json's api_url; resolves with the parsed JSON (or null for 204). */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
	const url = new URL(config().api_url + path);
	for (const [k, v] of Object.entries(options.query ?? {})) {
		if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, String(v));
	}
	const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
	if (options.body !== undefined) headers['content-type'] = 'application/json';
	if (options.raw) headers['content-type'] = options.raw.type || 'application/octet-stream';
	if (options.token) headers.authorization = `Bearer ${options.token}`;
	let res: Response;
	try {
		res = await fetch(url, {
			method,
			headers,
			body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
			mode: 'cors',
			credentials: 'omit',
			cache: 'no-store',
			signal: options.signal
		});
	} catch (e) {
		if (e instanceof DOMException && e.name === 'AbortError') throw e;
		throw new ApiError(0, 'unreachable', UNREACHABLE);
	}
	if (!res.ok) throw await toError(res);
	if (res.status === 204) return null as T;
	const text = await res.text();
	return (text ? JSON.parse(text) : null) as T;
}

/** The general detail of any error thrown by a call (or by the code around it). */
export function detailOf(e: unknown): string {
	if (e instanceof ApiError) return e.detail;
	return 'Er ging iets mis. Probeer het later opnieuw.';
}

// The shapes of api.md this front end reads.

export interface Category {
	code: string;
	label: string;
}

export type PublicPartner = components['schemas']['PublicPartner'];

export interface Page<T> {
	items: T[];
	next_cursor: string | null;
}

export interface Tokens {
	access_token: string;
	id_token: string;
	refresh_token?: string;
	expires_in: number;
	token_type: string;
}

export interface Me {
	email: string;
	profile: { id: string; name: string } | null;
}

export interface LocalMail {
	to: string[] | string;
	from: string;
	subject: string;
	text: string;
	html: string;
	sent_at: string;
}
