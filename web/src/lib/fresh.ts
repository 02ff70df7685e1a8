import { afterNavigate, invalidate } from '$app/navigation';
import { onMount } from 'svelte';

/**
 * Reads a page's load again (invalidate(dependency), the load's depends()) whenever its data can
 * have changed elsewhere (a moderator approves, another tab edits): on a navigation to the URL it
 * already shows (the menu's link; a navigation to it from elsewhere runs its load anyway), and
 * when the tab is shown again. Call it while the component initialises.
 */
export function invalidateWhenFresh(dependency: `${string}:${string}`): void {
	onMount(() => {
		const shown = () => {
			if (document.visibilityState === 'visible') void invalidate(dependency);
		};
		document.addEventListener('visibilitychange', shown);
		return () => document.removeEventListener('visibilitychange', shown);
	});
	afterNavigate(({ from, to }) => {
		if (from && to && from.url.pathname === to.url.pathname) void invalidate(dependency);
	});
}
