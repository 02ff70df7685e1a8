#!/usr/bin/env bash
# Every check and every test of the project (the front end's browser tests too): what CI runs (.ci/run calls this), and what a
# developer runs before pushing. Installs what it needs when it is missing: moto (the AWS
# emulator the end-to-end tests start, one per test), cfn-lint, schemathesis and
# openapi-spec-validator, from PyPI; rustfmt and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "tools"
if ! python3 -c 'import moto.moto_server.werkzeug_app, werkzeug.serving, flask, flask_cors' 2>/dev/null; then
  python3 -m pip install --quiet 'moto[server]>=5.2,<6'
fi
# cfn-lint through its module, so a fresh install works before any shell picks up its script.
cfn_lint() { python3 -c 'import sys; sys.argv[0] = "cfn-lint"; from cfnlint.runner import main; sys.exit(main())' "$@"; }
if ! python3 -c 'import cfnlint.runner' 2>/dev/null; then
  python3 -m pip install --quiet 'cfn-lint>=1.20,<2'
fi
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
python3 -c 'import moto; print("moto", moto.__version__)'
cfn_lint --version

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "import graph"
# One direction through the code (issue 23): a module cycle outside tests fails the run.
python3 infra/import_graph.py --check

step "template"
cfn_lint template.yaml infra/waf.yaml

step "tests (unit and end to end)"
# Every test there is (the one Lambda binary has no test harness: its library holds the code
# and the tests).
cargo test --workspace --locked --lib --bins --tests

step "front end (svelte-check, build, Playwright on Debian's chromium against the local stack)"
bash web/scripts/e2e.sh

step "fuzz (schemathesis from openapi.yaml against the local stack)"
bash infra/fuzz.sh
