#!/usr/bin/env bash
# Browser tests of the front end against the real local stack, in one command:
#   bash web/scripts/e2e.sh        (or: cd web && npm run test:e2e)
# Installs the npm packages from the lockfile and Debian's chromium when missing, checks the
# types, builds, starts portal-local (the API on a free port, the build at PORTAL_URL), runs
# Playwright, and prints "N passed, N failed" from its JSON report. Exit code 1 on any failure.
#
# Environment:
#   PORTAL_LOCAL_BIN  a built portal-local to run (default: .local/portal-local of the repository
#                     when present, else `cargo build -p portal-local` and the one in the target dir)
#   PORTAL_URL        the front end's origin (default http://localhost:5173; the stack's CORS
#                     allows exactly this origin, and its mails link to it)
set -euo pipefail

web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$web/.." && pwd)"
cd "$web"
PORTAL_URL="${PORTAL_URL:-http://localhost:5173}"
port="${PORTAL_URL##*:}"
port="${port%%/*}"
work="$(mktemp -d)"
pids=()

cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f s", b - a }'; }

# 1. Packages, exactly as locked.
stamp=node_modules/.portal-package-lock.json
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
	step "npm ci"
	t=$(seconds)
	npm ci --no-audit --no-fund
	cp package-lock.json "$stamp"
	echo "npm ci: $(elapsed "$t")"
fi

# 2. The browser: Debian's chromium (Playwright's own builds cannot be downloaded here).
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
	step "installing Debian's chromium"
	if [ "$(id -u)" = 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
	"${apt[@]}" update -qq
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq chromium >/dev/null
fi
export CHROMIUM_PATH

# 3. Types (vite build checks none), the API's generated types current with openapi.yaml, and the build.
step "svelte-check"
t=$(seconds)
npm run --silent check
echo "svelte-check: $(elapsed "$t")"
step "api-types:check"
npm run --silent api-types:check
step "vite build"
t=$(seconds)
npm run --silent build >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
echo "build: $(elapsed "$t")"

# 4. The local stack: the API on a free port, its mails linking to PORTAL_URL, and the build just
#    made served at PORTAL_URL with a config.json pointing at the API, answered from memory
#    (--web-dir: as it is, not rebuilt; nothing is written into it). A portal-local from before
#    --web-dir gets the static server of step 5 instead.
bin="${PORTAL_LOCAL_BIN:-}"
if [ -z "$bin" ] && [ -x "$repo/.local/portal-local" ]; then bin="$repo/.local/portal-local"; fi
if [ -z "$bin" ]; then
	step "cargo build -p portal-local"
	(cd "$repo" && cargo build -q -p portal-local)
	bin="${CARGO_TARGET_DIR:-$repo/target}/debug/portal-local"
fi
step "starting the local stack ($bin)"
usage="$("$bin" --help 2>&1 || true)"
case "$usage" in
*--web-dir*) web_args=(--web-dir "$web/build") ;;
*) web_args=() ;;
esac
"$bin" --port 0 --portal-url "$PORTAL_URL" "${web_args[@]}" >"$work/stack.log" 2>&1 &
pids+=($!)
api=""
for _ in $(seq 1 240); do
	api="$(sed -n 's/^ *API: *\(http[^ ]*\).*/\1/p' "$work/stack.log" | head -n1)"
	[ -n "$api" ] && break
	if ! kill -0 "${pids[0]}" 2>/dev/null; then cat "$work/stack.log"; echo "the local stack stopped"; exit 1; fi
	sleep 0.5
done
[ -n "$api" ] || { cat "$work/stack.log"; echo "the local stack did not start"; exit 1; }
echo "API at $api"

# 5. The front end at PORTAL_URL: served by the stack already, or else by the static server.
log="$work/stack.log"
if [ ${#web_args[@]} -eq 0 ]; then
	# config.json from memory, not written into build/: another run's stack keeps its own.
	config="$(printf '{"api_url":"%s","local_mailbox":true}' "$api")"
	log="$work/serve.log"
	node scripts/serve.mjs --root build --port "$port" --host localhost --config "$config" >"$log" 2>&1 &
	pids+=($!)
fi
for _ in $(seq 1 50); do
	curl -sf "$PORTAL_URL/config.json" >/dev/null && break
	sleep 0.2
done
curl -sf "$PORTAL_URL/config.json" >/dev/null || { cat "$log"; echo "the front end is not served at $PORTAL_URL"; exit 1; }
echo "front end at $PORTAL_URL"

# 6. The browser tests; the closing line from Playwright's JSON report.
step "playwright"
t=$(seconds)
rm -rf test-results
status=0
PORTAL_URL="$PORTAL_URL" PORTAL_API_URL="$api" npx playwright test "$@" || status=$?
echo "browser tests: $(elapsed "$t")"
if [ -f test-results/results.json ]; then
	node -e '
		const r = JSON.parse(require("fs").readFileSync("test-results/results.json", "utf8"));
		const s = r.stats;
		const failed = s.unexpected + (s.flaky || 0);
		console.log(`${s.expected} passed, ${failed} failed` + (s.skipped ? `, ${s.skipped} skipped` : ""));
	'
else
	echo "0 passed, 1 failed"
	status=1
fi
exit "$status"
