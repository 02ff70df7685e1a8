// The local stack's stand-in for Informat's identity provider (issue 22, item 1).
//
// A real OpenID Provider, `oidc-provider` (OpenID Certified), serving the authorization code flow
// with PKCE for the back office's public client, with school administrators as users: each has a
// username, a password and the institution rights Informat's provider gives in a claim of the ID
// token (`--rights-claim`, a space-separated list of `<api>:<instellingsnummer>`). Tokens are
// signed with an RSA key made at start (RS256: what API Gateway's JWT authorizer verifies).
//
//   node server.mjs --port 0 --client-id <id> --redirect-uri <url> [--redirect-uri <url>]
//                   [--rights-claim informat_admin_scopes] [--users <file.json>]
//
// Prints one line of JSON once it listens: {"issuer": "http://127.0.0.1:<port>"}. It ends when
// its standard input closes (the local stack that started it ended), so it never outlives it.
//
// Only for the local stack, on loopback: `POST /_local/users` adds a user
// ({"username", "password", "email", "name", "rights"}), which the tests use.

import http from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
	options: {
		port: { type: 'string', default: '0' },
		'client-id': { type: 'string' },
		'redirect-uri': { type: 'string', multiple: true, default: [] },
		'rights-claim': { type: 'string', default: 'informat_admin_scopes' },
		users: { type: 'string' }
	}
});
if (!args['client-id'] || args['redirect-uri'].length === 0) {
	console.error('usage: node server.mjs --port 0 --client-id <id> --redirect-uri <url> [--rights-claim <name>]');
	process.exit(2);
}
const rightsClaim = args['rights-claim'];

/** Users by lower-cased username: { sub, username, password, email, name, rights }. */
const users = new Map();
const bySub = new Map();

function addUser(input) {
	const username = typeof input.username === 'string' ? input.username.trim() : '';
	const password = typeof input.password === 'string' ? input.password : '';
	if (!username || !password) throw new Error('username and password are required');
	const user = {
		sub: input.sub ?? randomUUID(),
		username,
		password,
		email: typeof input.email === 'string' ? input.email.trim() : undefined,
		name: typeof input.name === 'string' ? input.name : username,
		rights: typeof input.rights === 'string' ? input.rights.trim() : ''
	};
	const previous = users.get(username.toLowerCase());
	if (previous) bySub.delete(previous.sub);
	users.set(username.toLowerCase(), user);
	bySub.set(user.sub, user);
	return user;
}

if (args.users) {
	for (const user of JSON.parse(readFileSync(args.users, 'utf8'))) addUser(user);
}

const digest = (s) => createHash('sha256').update(s, 'utf8').digest();
/** The user whose password this is, compared in constant time; the same work for an unknown name. */
function authenticate(username, password) {
	const user = users.get(String(username ?? '').trim().toLowerCase());
	const given = digest(String(password ?? ''));
	const expected = digest(user ? user.password : randomBytes(16).toString('hex'));
	return timingSafeEqual(given, expected) && user ? user : undefined;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const escape = (s) =>
	String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
	return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Informat</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1b2733; }
main { max-width: 26rem; margin: 3rem auto; padding: 1.5rem; background: #fff; border-radius: 8px; }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { display: block; width: 100%; box-sizing: border-box; padding: .6rem; margin-top: .3rem; font-size: 1rem; border: 1px solid #5a6b7b; border-radius: 4px; }
button { margin-top: 1.5rem; padding: .7rem 1.2rem; font-size: 1rem; background: #0b5394; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.error { color: #a10f0f; margin-top: 1rem; }
.note { font-size: .9rem; color: #4a5866; }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function loginPage(uid, error, username) {
	return page(
		'Aanmelden',
		`<h1>Aanmelden met je Informat-account</h1>
<p class="note">Lokale testomgeving: deze pagina staat in voor de aanmelding van Informat.</p>
<form method="post" action="/interaction/${escape(uid)}/login" novalidate>
${error ? `<p class="error" id="login-fout" role="alert">${escape(error)}</p>` : ''}
<label for="username">Gebruikersnaam</label>
<input id="username" name="username" autocomplete="username" required value="${escape(username ?? '')}"${error ? ' aria-describedby="login-fout" aria-invalid="true"' : ''} autofocus>
<label for="password">Wachtwoord</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${error ? ' aria-describedby="login-fout" aria-invalid="true"' : ''}>
<button type="submit">Aanmelden</button>
</form>`
	);
}

const configuration = {
	clients: [
		{
			client_id: args['client-id'],
			token_endpoint_auth_method: 'none',
			application_type: 'web',
			redirect_uris: args['redirect-uri'],
			response_types: ['code'],
			grant_types: ['authorization_code'],
			id_token_signed_response_alg: 'RS256'
		}
	],
	jwks: { keys: [signingKey] },
	cookies: { keys: [randomBytes(32).toString('hex')] },
	claims: {
		openid: ['sub'],
		email: ['email', 'email_verified'],
		profile: ['name'],
		informat: [rightsClaim]
	},
	scopes: ['openid', 'email', 'profile', 'informat'],
	// The claims of the scopes asked for go into the ID token, which is what the portal's API
	// reads (the back office has no use for userinfo).
	conformIdTokenClaims: false,
	pkce: { required: () => true },
	responseTypes: ['code'],
	features: { devInteractions: { enabled: false } },
	ttl: { IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
	interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
	async findAccount(ctx, sub) {
		const user = bySub.get(sub);
		if (!user) return undefined;
		return {
			accountId: sub,
			async claims() {
				return {
					sub,
					...(user.email ? { email: user.email, email_verified: true } : {}),
					name: user.name,
					[rightsClaim]: user.rights
				};
			}
		};
	},
	// The back office is Informat's own client: no consent screen, the scopes it asks for are
	// granted once the user signed in.
	async loadExistingGrant(ctx) {
		const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
		if (grantId) {
			const grant = await ctx.oidc.provider.Grant.find(grantId);
			if (grant) return grant;
		}
		if (!ctx.oidc.session.accountId) return undefined;
		const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
		grant.addOIDCScope('openid email profile informat');
		await grant.save();
		return grant;
	},
	async renderError(ctx, out) {
		ctx.type = 'html';
		ctx.body = page(
			'Aanmelden mislukt',
			`<h1>Aanmelden mislukt</h1><p>De aanmelding kon niet verder (${escape(out.error)}${out.error_description ? `: ${escape(out.error_description)}` : ''}). Ga terug naar het portaal en probeer opnieuw.</p>`
		);
	}
};

function readBody(req) {
	return new Promise((resolve, reject) => {
		let data = '';
		req.setEncoding('utf8');
		req.on('data', (chunk) => {
			data += chunk;
			if (data.length > 64 * 1024) reject(new Error('body too large'));
		});
		req.on('end', () => resolve(data));
		req.on('error', reject);
	});
}

let provider;
let callback;

async function interaction(req, res, url) {
	const [, , uid, action] = url.pathname.split('/');
	let details;
	try {
		details = await provider.interactionDetails(req, res);
	} catch {
		res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
		res.end(page('Aanmelden verlopen', '<h1>Deze aanmelding is verlopen</h1><p>Ga terug naar het portaal en meld opnieuw aan.</p>'));
		return;
	}
	if (details.uid !== uid) {
		res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
		res.end('interaction mismatch');
		return;
	}
	if (req.method === 'GET' && !action) {
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
		res.end(loginPage(uid));
		return;
	}
	if (req.method === 'POST' && action === 'login') {
		const form = new URLSearchParams(await readBody(req));
		const user = authenticate(form.get('username'), form.get('password'));
		if (!user) {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
			res.end(loginPage(uid, 'Je gebruikersnaam of wachtwoord is niet juist.', form.get('username')));
			return;
		}
		await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
		return;
	}
	res.writeHead(405);
	res.end();
}

async function local(req, res, url) {
	if (req.method === 'POST' && url.pathname === '/_local/users') {
		try {
			const user = addUser(JSON.parse(await readBody(req)));
			res.writeHead(201, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ sub: user.sub, username: user.username }));
		} catch (e) {
			res.writeHead(400, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: String(e.message ?? e) }));
		}
		return;
	}
	res.writeHead(404);
	res.end();
}

const server = http.createServer((req, res) => {
	const url = new URL(req.url ?? '/', 'http://localhost');
	const handle = url.pathname.startsWith('/interaction/')
		? interaction(req, res, url)
		: url.pathname.startsWith('/_local/')
			? local(req, res, url)
			: Promise.resolve(callback(req, res));
	handle.catch((e) => {
		console.error(e);
		if (!res.headersSent) res.writeHead(500);
		res.end();
	});
});

server.listen(Number(args.port), '127.0.0.1', () => {
	const issuer = `http://127.0.0.1:${server.address().port}`;
	provider = new Provider(issuer, configuration);
	callback = provider.callback();
	process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
