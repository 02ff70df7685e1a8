import { afterNavigate } from '$app/navigation';
import { onMount } from 'svelte';

/**
 * Reads a page's data again whenever it can have changed elsewhere (a moderator approves, another
 * tab edits): on every navigation to the page, the first one included, also one to the URL it
 * already shows (the menu's link), and when the tab is shown again. Call it while the component
 * initialises; `load` must tolerate being called while a previous call still runs.
 */
export function loadWhenFresh(load: () => unknown): void {
	afterNavigate(() => void load());
	onMount(() => {
		const shown = () => {
			if (document.visibilityState === 'visible') void load();
		};
		document.addEventListener('visibilitychange', shown);
		return () => document.removeEventListener('visibilitychange', shown);
	});
}
