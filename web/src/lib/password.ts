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
