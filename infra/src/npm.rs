//! `npm ci` for the Node.js packages the local stack runs: the front end (`web/`) and the
//! stand-in for Informat's identity provider (`infra/idp`), each installed only when its
//! node_modules does not hold exactly its lockfile's packages.

use std::path::Path;
use std::process::{Command, Stdio};

/// Where `npm ci` leaves a copy of the lockfile it installed (as web/scripts/e2e.sh does).
const STAMP: &str = "node_modules/.portal-package-lock.json";

/// `npm ci` in `dir` (web/, infra/idp) when its node_modules does not hold exactly the lockfile's
/// packages: the lockfile it installed is kept in node_modules ([`STAMP`]). `needs` says what to
/// install when npm cannot run.
pub fn ci_when_stale(dir: &Path, needs: &str) -> Result<(), String> {
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("{}/package-lock.json: {e}", dir.display()))?;
    if std::fs::read(dir.join(STAMP)).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    eprintln!("  npm ci ({})", dir.display());
    // npm's output goes to stderr: stdout carries only the stack's addresses (e2e.sh reads them).
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("cannot run npm ({e}): {needs}"))?;
    if !status.success() {
        return Err(format!("npm ci in {} failed ({status})", dir.display()));
    }
    std::fs::write(dir.join(STAMP), &lock).map_err(|e| format!("{}/{STAMP}: {e}", dir.display()))
}
