import { tick } from 'svelte';

/** Whether the keyboard can use this control now (not disabled, not hidden). */
function usable(el: HTMLElement): boolean {
	if ((el as HTMLInputElement).disabled) return false;
	if (el instanceof HTMLInputElement && el.type === 'hidden') return false;
	return el.getClientRects().length > 0;
}

/**
 * What a dialog's focus starts on: its first form control (of a radio group the chosen option,
 * as the arrow keys would), else its first button. Never the alert region (tabindex -1) that the
 * browser's own choice, the first focusable element, could land on.
 */
export function firstFocus(dialog: HTMLElement): HTMLElement | null {
	const controls = [...dialog.querySelectorAll<HTMLElement>('input, select, textarea')].filter(usable);
	const first = controls[0];
	if (first instanceof HTMLInputElement && first.type === 'radio' && first.name) {
		const checked = controls.find(
			(c) => c instanceof HTMLInputElement && c.type === 'radio' && c.name === first.name && c.checked
		);
		return checked ?? first;
	}
	return first ?? [...dialog.querySelectorAll<HTMLElement>('button')].find(usable) ?? null;
}

/**
 * Opens a modal dialog once its content is rendered (state set just before, such as the item a
 * confirmation is about), with the focus on its first field or button.
 */
export async function openDialog(dialog: HTMLDialogElement | undefined): Promise<void> {
	if (!dialog) return;
	await tick();
	if (!dialog.open) dialog.showModal();
	firstFocus(dialog)?.focus();
}
