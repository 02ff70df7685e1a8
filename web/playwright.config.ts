import { defineConfig } from '@playwright/test';

// Browser tests against the real local stack (scripts/e2e.sh starts it and the static server).
// The browser is Debian's chromium package: Playwright's own builds cannot be downloaded here.
export default defineConfig({
	testDir: './tests',
	timeout: 60_000,
	expect: { timeout: 10_000 },
	fullyParallel: false,
	workers: 1,
	retries: 0,
	reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
	outputDir: 'test-results/artifacts',
	use: {
		baseURL: process.env.PORTAL_URL ?? 'http://localhost:5173',
		locale: 'nl-BE',
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-dev-shm-usage',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run'
			]
		}
	}
});
