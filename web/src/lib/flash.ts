/** One message handed from a page to the next one (after a redirect), shown once. */
export interface Flash {
	kind: 'success' | 'error';
	message: string;
}

let pending: Flash | null = null;

export function setFlash(flash: Flash): void {
	pending = flash;
}

export function takeFlash(): Flash | null {
	const f = pending;
	pending = null;
	return f;
}
