#!/usr/bin/env bash
# Uploads the front end (web/) to a deployed stack, after `sam build && sam deploy`:
#   bash infra/deploy-web.sh [--config-env default|prod] [--stack NAME] [--region REGION]
#                            [--build-dir DIR] [--no-build] [--dry-run]
#
# 1. builds web/ (npm ci when node_modules does not match the lockfile, then npm run build),
#    unless --no-build; --build-dir serves another, already built directory;
# 2. reads the stack's outputs (WebBucketName, WebDistributionId, PublicApiUrl, BackofficeUrl,
#    TermsUrl, PrivacyUrl, InformatIssuer, InformatClientId, InformatRightsClaim);
# 3. writes config.json for that stack ({"api_url", "local_mailbox": false, "backoffice_url",
#    "terms_url", "privacy_url", and where school administrators sign in: "informat_issuer",
#    "informat_client_id", "informat_rights_claim"})
#    into a copy of the build, and refuses a build whose index.html lacks SvelteKit's CSP <meta>
#    (template.yaml, WebResponseHeaders: the header policy relies on it for scripts);
# 4. uploads: /_app/immutable/ (hashed names) with a year's immutable Cache-Control, first and
#    never deleted (a browser with the previous index.html still loads its files); every other
#    file with no-cache, files the build no longer has deleted; index.html last;
# 5. invalidates /index.html (every page path's cache key: the distribution's function rewrites
#    them to it before the cache) and /config.json.
#
# --dry-run prints the AWS commands instead of running them, with <Output> placeholders for the
# stack's outputs; it still builds (unless --no-build) and writes config.json into a temporary
# copy. Needs the AWS CLI v2 with credentials for the stack's account, Node.js and npm.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config_env=default
stack=""
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
build_dir=""
build=1
dry_run=0

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--config-env) config_env="${2:?--config-env needs a value}"; shift 2 ;;
	--stack) stack="${2:?--stack needs a name}"; shift 2 ;;
	--region) region="${2:?--region needs a value}"; shift 2 ;;
	--build-dir) build_dir="${2:?--build-dir needs a directory}"; build=0; shift 2 ;;
	--no-build) build=0; shift ;;
	--dry-run) dry_run=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done

# A value of samconfig.toml's [<config-env>.<section>.parameters], e.g. stack_name.
samconfig() {
	awk -v want="[$config_env.$1.parameters]" -v key="$2" '
		/^\[/ { in_section = ($0 == want); next }
		in_section && $1 == key { sub(/^[^=]*=[ \t]*"/, ""); sub(/".*$/, ""); print; exit }
	' "$repo/samconfig.toml"
}
stack="${stack:-$(samconfig global stack_name)}"
region="${region:-$(samconfig deploy region)}"
[ -n "$stack" ] || { echo "no stack name: pass --stack or set it in samconfig.toml" >&2; exit 2; }
[ -n "$region" ] || { echo "no region: pass --region or set AWS_REGION" >&2; exit 2; }

# Runs an AWS command, or prints it (--dry-run).
run() {
	if [ "$dry_run" = 1 ]; then
		printf '+'
		printf ' %q' "$@"
		printf '\n'
	else
		"$@"
	fi
}

step() { printf '\n== %s\n' "$*" >&2; }

# 1. The build.
web="$repo/web"
if [ "$build" = 1 ]; then
	step "building web/"
	command -v npm >/dev/null || { echo "npm not found: the front end needs Node.js 20.19 or later with npm" >&2; exit 1; }
	stamp="$web/node_modules/.portal-package-lock.json"
	if ! cmp -s "$web/package-lock.json" "$stamp" 2>/dev/null; then
		(cd "$web" && npm ci --no-audit --no-fund >&2)
		cp "$web/package-lock.json" "$stamp"
	fi
	(cd "$web" && npm run --silent build >&2)
fi
build_dir="${build_dir:-$web/build}"
[ -f "$build_dir/index.html" ] || { echo "$build_dir/index.html is missing: build web/ first" >&2; exit 1; }
csp="$(sed -n 's/.*<meta http-equiv="content-security-policy" content="\([^"]*\)".*/\1/p' "$build_dir/index.html" | head -n1)"
if [ -z "$csp" ]; then
	echo "$build_dir/index.html has no CSP <meta> (kit.csp in web/svelte.config.js): refusing to deploy it" >&2
	exit 1
fi
script_src="$(printf '%s' "$csp" | tr ';' '\n' | grep -E '^ *script-src ' || true)"
if [ -z "$script_src" ] || printf '%s' "$script_src" | grep -q "unsafe-inline"; then
	echo "the build's CSP must name script-src without 'unsafe-inline': $csp" >&2
	exit 1
fi

# 2. The stack's outputs.
step "outputs of $stack ($region)"
output() {
	if [ "$dry_run" = 1 ]; then
		run aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
			--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text >&2
		printf '<%s>' "$1"
		return
	fi
	local value
	value="$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
		--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)"
	if [ -z "$value" ] || [ "$value" = None ]; then
		echo "the stack $stack has no output $1 (deploy template.yaml first: sam build && sam deploy)" >&2
		exit 1
	fi
	printf '%s' "$value"
}
bucket="$(output WebBucketName)"
distribution="$(output WebDistributionId)"
api_url="$(output PublicApiUrl)"
backoffice_url="$(output BackofficeUrl)"
terms_url="$(output TermsUrl)"
privacy_url="$(output PrivacyUrl)"

# 3. config.json, in a copy of the build.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$build_dir/." "$stage/"
informat_issuer="$(output InformatIssuer)"
informat_client_id="$(output InformatClientId)"
informat_rights_claim="$(output InformatRightsClaim)"
printf '{"api_url":"%s","local_mailbox":false,"backoffice_url":"%s","terms_url":"%s","privacy_url":"%s","informat_issuer":"%s","informat_client_id":"%s","informat_rights_claim":"%s"}\n' \
	"${api_url%/}" "${backoffice_url%/}" "$terms_url" "$privacy_url" "${informat_issuer%/}" "$informat_client_id" "$informat_rights_claim" >"$stage/config.json"
step "config.json"
cat "$stage/config.json" >&2

# 4. The upload: hashed assets first (kept), then the rest (deleting what the build dropped),
#    index.html last.
step "upload to s3://$bucket"
if [ -d "$stage/_app/immutable" ]; then
	run aws s3 sync "$stage/_app/immutable" "s3://$bucket/_app/immutable" --region "$region" \
		--cache-control "public, max-age=31536000, immutable" --only-show-errors
fi
run aws s3 sync "$stage" "s3://$bucket" --region "$region" --delete \
	--exclude "_app/immutable/*" --exclude "index.html" \
	--cache-control "no-cache" --only-show-errors
run aws s3 cp "$stage/index.html" "s3://$bucket/index.html" --region "$region" \
	--cache-control "no-cache" --content-type "text/html; charset=utf-8" --only-show-errors

# 5. The pages and config.json anew at the edge.
step "invalidation"
run aws cloudfront create-invalidation --distribution-id "$distribution" \
	--paths /index.html /config.json --query Invalidation.Id --output text
if [ "$dry_run" = 1 ]; then echo "dry run: nothing was uploaded" >&2; else echo "front end uploaded to $stack" >&2; fi
