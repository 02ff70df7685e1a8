// Prints the Content-Security-Policy of a build: the policy SvelteKit wrote into index.html's
// <meta> (with the sha256 of the one inline boot script), plus what only a header can say.
// The local host (portal-local, or serve.mjs) sends it as a header. Deployed, CloudFront's
// response-headers policy sends only the build-independent part and the <meta> does the rest
// (docs/operations.md, "The front end in AWS").
//   node scripts/csp.mjs [build-dir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function cspOf(buildDir) {
	const html = readFileSync(join(buildDir, 'index.html'), 'utf8');
	const m = html.match(/<meta http-equiv="content-security-policy" content="([^"]+)"/);
	if (!m) throw new Error(`no CSP <meta> in ${buildDir}/index.html`);
	return `${m[1]}; frame-ancestors 'none'`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	console.log(cspOf(process.argv[2] ?? 'build'));
}
