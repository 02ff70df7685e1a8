import { loadConfig } from '$lib/config';
import type { LayoutLoad } from './$types';

// A single-page application: nothing is rendered on a server or at build time.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';

// The stage's settings (the API's address) before any page's load calls the API: a load that
// awaits parent() finds them read. +layout.svelte shows "kan niet starten" when they fail.
export const load: LayoutLoad = async () => ({ configRead: await loadConfig().then(() => true, () => false) });
