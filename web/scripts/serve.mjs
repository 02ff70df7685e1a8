// A small static server for the built front end: files from build/, index.html for every other
// path (the SPA fallback), and the security headers the deployed host sends too.
//   node scripts/serve.mjs [--root build] [--port 5173] [--host 127.0.0.1] [--config '{"api_url":...}']
// With --config, /config.json is that JSON, answered from memory: nothing is written into the
// build, so several servers (or stacks) on one machine share it, each with its own API. Without
// it, config.json is served from the root like any file.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { cspOf } from './csp.mjs';

const args = process.argv.slice(2);
function option(name, fallback) {
	const i = args.indexOf(name);
	return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}
const root = resolve(option('--root', 'build'));
const port = Number(option('--port', '5173'));
const host = option('--host', 'localhost');
const configText = option('--config', null);
// Fails early on JSON that the front end could not read either.
const config = configText === null ? null : Buffer.from(`${JSON.stringify(JSON.parse(configText))}\n`);

const TYPES = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.txt': 'text/plain; charset=utf-8',
	'.webmanifest': 'application/manifest+json'
};

cspOf(root); // fails early when the build has no CSP
const headers = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'strict-origin-when-cross-origin',
	'x-frame-options': 'DENY'
};

async function file(path) {
	try {
		const s = await stat(path);
		return s.isFile() ? path : null;
	} catch {
		return null;
	}
}

const server = createServer(async (req, res) => {
	try {
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405, { allow: 'GET, HEAD' }).end();
			return;
		}
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (config !== null && url.pathname === '/config.json') {
			res.writeHead(200, {
				...headers,
				'content-security-policy': cspOf(root),
				'content-type': TYPES['.json'],
				'cache-control': 'no-cache',
				'content-length': config.length
			});
			res.end(req.method === 'HEAD' ? undefined : config);
			return;
		}
		const wanted = normalize(join(root, decodeURIComponent(url.pathname)));
		const inside = wanted === root || wanted.startsWith(root + sep);
		const found = (inside && (await file(wanted))) || null;
		const path = found ?? join(root, 'index.html');
		const body = await readFile(path);
		const immutable = found !== null && found.includes(`${sep}_app${sep}immutable${sep}`);
		res.writeHead(200, {
			...headers,
			// Read anew for every answer: a rebuild changes the boot script's hash.
			'content-security-policy': cspOf(root),
			'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
			'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
			'content-length': body.length
		});
		res.end(req.method === 'HEAD' ? undefined : body);
	} catch (e) {
		res.writeHead(500, { 'content-type': 'text/plain' }).end('server error');
		console.error(e);
	}
});

server.listen(port, host, () => {
	console.log(`front end on http://${host}:${port}/ (root ${root})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
