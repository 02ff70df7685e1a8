#!/usr/bin/env bash
# Builds the one Lambda binary that every function runs (cargo-lambda, release profile), then
# prints its size and its zipped size (the package `sam deploy` uploads once for all functions).
# `sam build` calls it through the Makefile (BuildMethod: makefile).
#
#   bash infra/build.sh            ARCH=arm64 (default) or ARCH=x86_64, as the Architecture parameter
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH="${ARCH:-arm64}"
case "$ARCH" in
  arm64) TARGET=aarch64-unknown-linux-gnu; FLAG=--arm64 ;;
  x86_64) TARGET=x86_64-unknown-linux-gnu; FLAG=--x86-64 ;;
  *) echo "ARCH must be arm64 or x86_64, not $ARCH" >&2; exit 2 ;;
esac
if ! command -v cargo-lambda >/dev/null 2>&1; then
  echo "== installing cargo-lambda (PyPI; it brings the Zig linker it cross-compiles with)"
  python3 -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.9,<2'
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

# A lock, so that `sam build --parallel` (one make target per function) builds once.
exec 9>target/.lambda-build.lock 2>/dev/null || { mkdir -p target; exec 9>target/.lambda-build.lock; }
flock 9
# --disable-optimizations: the workspace's release profile decides (fat LTO, one codegen unit,
# strip). cargo-lambda's own defaults would also force panic = "abort", and the functions keep
# panic = "unwind" so that lambda_runtime turns a handler panic into an invocation error instead
# of losing the execution environment.
cargo lambda build --release --disable-optimizations "$FLAG" --locked -p portal-functions --bin bootstrap --lambda-dir "target/lambda-$ARCH"

if [ "${QUIET:-}" != 1 ]; then
  python3 - "$ARCH" <<'PY'
import io, os, sys, zipfile
arch = sys.argv[1]
path = f"target/lambda-{arch}/bootstrap/bootstrap"
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(path, "bootstrap")
print(f"{path}: {os.path.getsize(path)/1048576:.1f} MiB, zipped {len(buf.getvalue())/1048576:.2f} MiB ({arch}),")
print("the one package every function of template.yaml deploys")
PY
fi
