/** The manual's password rules, checked while typing (the API checks them again, and more). */
const SPECIALS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

export interface Rule {
	id: string;
	text: string;
	test: (p: string) => boolean;
}

export const PASSWORD_RULES: Rule[] = [
	{ id: 'lengte', text: 'minstens 8 karakters', test: (p) => [...p].length >= 8 },
	{ id: 'hoofdletter', text: 'minimaal één hoofdletter', test: (p) => /[A-Z]/.test(p) },
	{ id: 'kleine-letter', text: 'minimaal één kleine letter', test: (p) => /[a-z]/.test(p) },
	{ id: 'cijfer', text: 'minimaal één cijfer', test: (p) => /[0-9]/.test(p) },
	{ id: 'speciaal', text: 'minimaal één speciaal teken (zoals ! ? @ # $ % & *)', test: (p) => [...p].some((c) => SPECIALS.includes(c)) },
	{ id: 'spatie', text: 'begint en eindigt niet met een spatie', test: (p) => p.length > 0 && !p.startsWith(' ') && !p.endsWith(' ') }
];

/** The rule the browser cannot check: the API estimates how easy the password is to guess. */
export const GUESS_RULE = { id: 'raden', text: 'is niet makkelijk te raden' } as const;

/**
 * Whether the API refused `password` as easy to guess: it answered `weak_password` for a
 * password that meets every rule above (the API's policy is the same, so only its strength
 * estimate is left).
 */
export function refusedAsGuessable(codes: string[], password: string): boolean {
	return codes.includes('weak_password') && PASSWORD_RULES.every((r) => r.test(password));
}
