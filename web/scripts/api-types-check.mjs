// Fails when src/lib/api-types.ts is not what openapi-typescript makes of ../openapi.yaml now:
// regenerates into a temporary file and compares. `npm run api-types` brings it up to date.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
const fresh = join(dir, 'api-types.ts');
try {
	execFileSync('npx', ['--no-install', 'openapi-typescript', '../openapi.yaml', '--output', fresh], { stdio: ['ignore', 'ignore', 'inherit'] });
	if (readFileSync(fresh, 'utf8') !== readFileSync('src/lib/api-types.ts', 'utf8')) {
		console.error('src/lib/api-types.ts is out of date with ../openapi.yaml: run `npm run api-types` and commit it.');
		process.exit(1);
	}
	console.log('api-types: up to date with openapi.yaml');
} finally {
	rmSync(dir, { recursive: true, force: true });
}
