/** The stage's settings, read from /config.json at start, so one build serves every stage. */
export interface AppConfig {
	/** The API's base URL, without a trailing slash (another origin than the front end's). */
	api_url: string;
	/** True on the local stack only: the mailbox page /_local/mails exists. */
	local_mailbox: boolean;
	/** The back office's address, when it is not <portal>/beheer. */
	backoffice_url?: string;
	/** The terms ("voorwaarden") the registration links to: a path of the portal or an https address. */
	terms_url: string;
	/** The privacy policy ("privacybeleid"), like `terms_url`. */
	privacy_url: string;
	/** Informat's identity provider, where school administrators sign in (issue 22). */
	informat?: { issuer: string; client_id: string; rights_claim: string };
}

/** A path of this portal (not `//host`) or an https address; anything else gives the default. */
function pageUrl(raw: unknown, fallback: string): string {
	if (typeof raw !== 'string') return fallback;
	const url = raw.trim();
	return /^\/(?!\/)\S*$/.test(url) || /^https:\/\/\S+$/.test(url) ? url : fallback;
}

let current: AppConfig | null = null;
let loading: Promise<AppConfig> | null = null;

function parse(raw: unknown): AppConfig {
	if (typeof raw !== 'object' || raw === null) throw new Error('config.json is geen object');
	const r = raw as Record<string, unknown>;
	if (typeof r.api_url !== 'string' || !/^https?:\/\//.test(r.api_url)) {
		throw new Error('config.json: api_url ontbreekt of is geen http(s)-adres');
	}
	const backoffice = typeof r.backoffice_url === 'string' ? r.backoffice_url.replace(/\/+$/, '') : undefined;
	const issuer = typeof r.informat_issuer === 'string' ? r.informat_issuer.replace(/\/+$/, '') : '';
	const clientId = typeof r.informat_client_id === 'string' ? r.informat_client_id : '';
	const informat =
		/^https?:\/\//.test(issuer) && clientId
			? {
					issuer,
					client_id: clientId,
					rights_claim:
						typeof r.informat_rights_claim === 'string' && r.informat_rights_claim
							? r.informat_rights_claim
							: 'informat_admin_scopes'
				}
			: undefined;
	return {
		api_url: r.api_url.replace(/\/+$/, ''),
		local_mailbox: r.local_mailbox === true,
		terms_url: pageUrl(r.terms_url, '/voorwaarden'),
		privacy_url: pageUrl(r.privacy_url, '/privacybeleid'),
		...(backoffice ? { backoffice_url: backoffice } : {}),
		...(informat ? { informat } : {})
	};
}

/** Reads /config.json once; later calls return the same settings. */
export function loadConfig(): Promise<AppConfig> {
	if (current) return Promise.resolve(current);
	// No cache option and no extra headers, so the <link rel="preload"> in app.html is reused; the
	// host serves config.json with Cache-Control: no-cache.
	loading ??= fetch('/config.json')
		.then(async (res) => {
			if (!res.ok) throw new Error(`config.json: status ${res.status}`);
			current = parse(await res.json());
			return current;
		})
		.catch((e: unknown) => {
			loading = null;
			throw e;
		});
	return loading;
}

/** The settings; only valid after loadConfig resolved (the root layout awaits it). */
export function config(): AppConfig {
	if (!current) throw new Error('config.json is nog niet geladen');
	return current;
}
