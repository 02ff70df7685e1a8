import { afterNavigate } from '$app/navigation';
import { onMount } from 'svelte';

/**
 * Reads a page's data again whenever it can have changed elsewhere (a moderator approves, another
 * tab edits): when the page is shown, on every later navigation to it, also one to the URL it
 * already shows (the menu's link), and when the tab is shown again. Call it while the component
 * initialises. One read at a time: a call while one runs joins it.
 */
export function loadWhenFresh(load: () => unknown): void {
	let running: Promise<unknown> | null = null;
	const run = () => {
		running ??= Promise.resolve(load()).finally(() => (running = null));
	};
	// A page shown after the first navigation (behind the layout's session check) hears no
	// afterNavigate for it: onMount reads it; the afterNavigate of the same visit joins that read.
	onMount(() => {
		run();
		const shown = () => {
			if (document.visibilityState === 'visible') run();
		};
		document.addEventListener('visibilitychange', shown);
		return () => document.removeEventListener('visibilitychange', shown);
	});
	afterNavigate(run);
}
