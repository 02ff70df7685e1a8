// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {
		/** What a load's error(status, …) tells the zone's +error.svelte (in Dutch). */
		interface Error {
			message: string;
			/** The page's heading (and title) for this problem; "Er ging iets mis" without. */
			title?: string;
			/** A way back, e.g. ← Applicaties. */
			back?: { href: string; label: string };
			/** A paragraph under the message (what to check). */
			hint?: string;
			/** A way on, under the message (e.g. Naar het beheer). */
			next?: { href: string; label: string };
		}
	}
}

export {};
