import { ApiError, detailOf } from './api';

/**
 * The state every form shares: busy while a call runs, the general Dutch detail for the alert
 * region, and the Dutch messages per field shown next to each field.
 */
export class FormState {
	/** Error codes that belong to one field (a 409 `profile_name_taken` to `name`, ...). */
	private readonly codeFields: Record<string, string>;

	constructor(codeFields: Record<string, string> = {}) {
		this.codeFields = codeFields;
	}

	busy = $state(false);
	detail = $state<string | null>(null);
	fields = $state<Record<string, string[]>>({});
	/** The error codes per field, beside the messages (`weak_password`, ...). */
	fieldCodes = $state<Record<string, string[]>>({});

	/** Messages of one field (the server's, or a check made in the browser). */
	errors(name: string): string[] {
		return this.fields[name] ?? [];
	}

	/** Error codes of one field. */
	codes(name: string): string[] {
		return this.fieldCodes[name] ?? [];
	}

	reset() {
		this.detail = null;
		this.fields = {};
		this.fieldCodes = {};
	}

	/** Runs a submit: clears old errors, shows the new ones; returns true when it succeeded. */
	async run(action: () => Promise<void>): Promise<boolean> {
		if (this.busy) return false;
		this.busy = true;
		this.reset();
		try {
			await action();
			return true;
		} catch (e) {
			this.show(e);
			return false;
		} finally {
			this.busy = false;
		}
	}

	show(e: unknown) {
		if (e instanceof ApiError) {
			const field = this.codeFields[e.code];
			this.fields = field ? { ...e.fields, [field]: [e.detail] } : e.fields;
			this.fieldCodes = field ? { ...e.fieldCodes, [field]: [e.code] } : e.fieldCodes;
			this.detail = e.detail;
		} else {
			this.detail = detailOf(e);
		}
	}

	/** Moves focus to the first field with an error, or to the alert. */
	focusFirstError(form: HTMLFormElement | undefined) {
		if (!form) return;
		queueMicrotask(() => {
			const invalid = form.querySelector<HTMLElement>('[aria-invalid="true"]');
			(invalid ?? form.querySelector<HTMLElement>('[role="alert"]'))?.focus();
		});
	}
}
