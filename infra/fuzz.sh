#!/usr/bin/env bash
# A property-based fuzz run of the whole API, generated from openapi.yaml by schemathesis,
# against a private local stack. It fails on any 5xx and on any answer whose status, content
# type or body the OpenAPI file does not document (so every error must be problem+json, except
# the token endpoint's RFC 6749 errors, which the file documents as such).
#
#   bash infra/fuzz.sh            (FUZZ_EXAMPLES=<n> per operation, default 25)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import schemathesis, openapi_spec_validator' >/dev/null 2>&1; then
  echo "== installing schemathesis and openapi-spec-validator (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5' 'openapi-spec-validator>=0.7,<1'
fi
echo "== openapi.yaml against the OpenAPI 3.1 schema"
python3 -m openapi_spec_validator openapi.yaml

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
API="http://127.0.0.1:$PORT"
LOG=$(mktemp)
cargo build --quiet --locked -p portal-local
target/debug/portal-local --port "$PORT" >"$LOG" 2>&1 &
STACK=$!
trap 'kill -TERM $STACK 2>/dev/null || true; wait $STACK 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "$API/categories" >/dev/null 2>&1 && break
  kill -0 $STACK 2>/dev/null || { echo "the local stack stopped:"; cat "$LOG"; exit 1; }
  sleep 1
done
curl -fsS "$API/categories" >/dev/null || { echo "the local stack did not come up:"; cat "$LOG"; exit 1; }

# A partner with a profile and an approved application, a moderator and a school administrator,
# so the fuzzer gets past the authorizers to the handlers.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -fsS -X POST "$API$1" -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2"; }
EMAIL="fuzz-partner@voorbeeld.be"
PASSWORD='Sterk!Wachtw00rd'
post /accounts "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"accept_terms\":true}" >/dev/null
TOKEN=$(curl -fsS "$API/_local/mails" | python3 -c "import json,sys,re; m=[x for x in json.load(sys.stdin)['items'] if '$EMAIL' in x['to']][-1]; print(re.search(r'token=([A-Za-z0-9_-]+)', m['text']).group(1))")
post /accounts/activate "{\"token\":\"$TOKEN\"}" >/dev/null
PARTNER=$(post /sessions "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json "['access_token']")
post /profile '{"name":"Fuzz BV","description":"Software.","contact_name":"An","address":{"street":"Kerkstraat 1","postal_code":"2000","city":"Antwerpen","country":"BE"},"public":true,"categories":["hrm"],"website":"https://fuzz.example"}' "$PARTNER" >/dev/null
APP=$(post /applications '{"name":"Fuzz app","description":"Test.","contact_name":"An","contact_email":"an@fuzz.example","apis":["leerlingen"]}' "$PARTNER" | json "['id']")
STAFF=$(post /_local/staff-users "{\"email\":\"staff@informat.be\",\"password\":\"$PASSWORD\",\"groups\":[\"moderators\"]}" | json "['id_token']")
# A school administrator signs in at (the stand-in for) Informat's identity provider.
SCHOOL_ADMIN=$(post /_local/school-admins "{\"email\":\"directie@school.be\",\"password\":\"$PASSWORD\",\"rights\":\"leerlingen:012345 personeel:012345\"}" | json "['id_token']")
post "/admin/applications/$APP/approve" '{}' "$STAFF" >/dev/null

# Through its module, so a fresh install works before any shell picks up its `st` script.
st() { python3 -c 'import sys; sys.argv[0] = "st"; from schemathesis.cli import schemathesis; sys.exit(schemathesis())' "$@"; }
EXAMPLES="${FUZZ_EXAMPLES:-25}"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# One worker: the fuzzer's engine (hypothesis) compiles code, and CPython 3.11 was seen to fail
# inside that ("AST constructor recursion depth mismatch") with two threads. A run that stops on
# such an error of the tool itself, with no check failed, is run once more; a failed check
# (a 5xx, an undocumented status, content type or body) always fails.
run() {
  local name=$1; shift
  local out
  out=$(mktemp)
  for attempt in 1 2; do
    echo "== fuzz: $name"
    if st run openapi.yaml --url "$API" --checks "$CHECKS" --max-examples "$EXAMPLES" --seed 20261122 \
      --generation-database none --no-color --workers 1 --suppress-health-check all "$@" 2>&1 | tee "$out"; then
      rm -f "$out"
      return 0
    fi
    if grep -q '^Failures:' "$out" || [ "$attempt" = 2 ]; then
      rm -f "$out"
      return 1
    fi
    echo "== the fuzzer itself stopped with an error and no check failed: $name once more"
  done
}
run "public routes" --include-path-regex '^/(accounts|sessions|categories|partners|oauth2|\.well-known)'
run "partner routes" --include-path-regex '^/(me|profile|applications|client-credentials)' -H "Authorization: Bearer $PARTNER"
run "moderator routes" --include-path-regex '^/admin' -H "Authorization: Bearer $STAFF"
run "school administrator routes" --include-path-regex '^/(access-requests|schools)' -H "Authorization: Bearer $SCHOOL_ADMIN"
