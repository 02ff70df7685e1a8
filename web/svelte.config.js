import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page application: every path falls back to index.html, which the host
		// (portal-local's server, CloudFront) serves for any unknown path.
		adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
		// The fallback page boots the app with one small inline script. With mode 'hash' SvelteKit
		// puts its sha256 into a <meta http-equiv="content-security-policy"> of index.html, so no
		// 'unsafe-inline' is needed; scripts/csp.mjs prints the same policy for the host's header.
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				// SvelteKit's route announcer carries one fixed style attribute; only that one is
				// allowed (its hash, with 'unsafe-hashes'); the browser tests fail on any other.
				'style-src': ['self', 'unsafe-hashes', 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='],
				'img-src': ['self', 'data:', 'blob:', 'http:', 'https:'],
				'font-src': ['self'],
				'connect-src': ['self', 'http:', 'https:'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		},
		// One JavaScript and one CSS file: no waterfall of chunks before the first page shows.
		output: { bundleStrategy: 'single' },
		version: { pollInterval: 0 }
	}
};

export default config;
