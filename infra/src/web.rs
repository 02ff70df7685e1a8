//! The front end on the local stack: `web/` built when its build is missing or older than its
//! sources, and `web/build` served at `PORTAL_URL` as the deployed host serves it (template.yaml,
//! `WebDistribution`): the same fallback rule as its CloudFront function (a page path gets
//! index.html, a missing file a 404), the same security headers, and a `config.json` that points
//! at the local API, answered from memory (the build is only read, so several stacks can serve it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_http::services::{ServeDir, ServeFile};

use crate::StackError;

/// The front end's sources in this repository.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("web")
}

/// What a build depends on: a change to any of them makes `web/build` stale.
const SOURCES: &[&str] =
    &["src", "static", "package.json", "package-lock.json", "svelte.config.js", "vite.config.ts", "tsconfig.json"];

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    let children = std::fs::read_dir(path).ok()?.filter_map(Result::ok).filter_map(|e| newest(&e.path()));
    children.chain(own).max()
}

/// Why `web/build` must be (re)built, or `None` when it is up to date.
pub fn stale(web: &Path) -> Option<String> {
    let Some(built) = std::fs::metadata(web.join("build/index.html")).and_then(|m| m.modified()).ok() else {
        return Some("web/build is missing".into());
    };
    SOURCES.iter().find_map(|s| {
        newest(&web.join(s)).filter(|t| *t > built).map(|_| format!("web/{s} changed since the last build"))
    })
}

fn npm(web: &Path, args: &[&str]) -> Result<(), StackError> {
    eprintln!("  npm {}", args.join(" "));
    // npm's output goes to stderr: stdout carries only the stack's addresses (e2e.sh reads them).
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| StackError::Web(format!("cannot run npm ({e}): {NEEDS_NODE}")))?;
    if status.success() { Ok(()) } else { Err(StackError::Web(format!("npm {} failed ({status})", args.join(" ")))) }
}

const NEEDS_NODE: &str = "the front end needs Node.js 20.19 or later with npm (https://nodejs.org/); \
     `cargo run -p portal-local -- --no-web` runs the API alone";

/// Builds `web/` when its build is stale: `npm ci` first when node_modules does not hold exactly
/// the lockfile's packages, then `npm run build`. Returns the build directory.
pub fn ensure_built(web: &Path) -> Result<PathBuf, StackError> {
    let build = web.join("build");
    let Some(why) = stale(web) else {
        return Ok(build);
    };
    eprintln!("Building the front end ({why}) ...");
    let node = Command::new("node").arg("--version").stderr(Stdio::null()).output();
    match node {
        Ok(out) if out.status.success() => {}
        _ => return Err(StackError::Web(format!("node was not found: {NEEDS_NODE}"))),
    }
    crate::npm::ci_when_stale(web, NEEDS_NODE).map_err(StackError::Web)?;
    npm(web, &["run", "build"])?;
    if let Some(why) = stale(web) {
        return Err(StackError::Web(format!("after npm run build: {why}")));
    }
    Ok(build)
}

/// The Content-Security-Policy of a build, as web/scripts/csp.mjs prints it: the policy SvelteKit
/// wrote into index.html's `<meta>` (with the hash of its inline boot script), plus what only a
/// header can say.
pub fn csp_of(build: &Path) -> Result<String, StackError> {
    let html = std::fs::read_to_string(build.join("index.html"))
        .map_err(|e| StackError::Web(format!("{}/index.html: {e}", build.display())))?;
    let marker = r#"<meta http-equiv="content-security-policy" content=""#;
    let policy = html
        .find(marker)
        .map(|at| &html[at + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            StackError::Web(format!(
                "no CSP <meta> in {}/index.html (kit.csp in web/svelte.config.js)",
                build.display()
            ))
        })?;
    Ok(format!("{policy}; frame-ancestors 'none'"))
}

/// Whether a path is one of the application's pages, answered with index.html: everything but
/// the build's assets under `/_app/` and the files at the root (`/favicon.svg`, `/config.json`),
/// which are served as files or not at all. The CloudFront function `WebPageRewrite` of
/// template.yaml applies the same rule.
pub fn is_page(path: &str) -> bool {
    if path.starts_with("/_app/") {
        return false;
    }
    let root_file = path.rfind('/') == Some(0) && path.len() > 1 && path[1..].contains('.');
    !root_file
}

/// Whether a request path names a regular file of the build, exactly: every segment a plain
/// name (no `.`, `..`, empty or percent-encoded segment), the file there and not a directory.
fn is_build_file(build: &Path, path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else { return false };
    let mut file = build.to_owned();
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains(['%', '\\']) {
            return false;
        }
        file.push(segment);
    }
    std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
}

struct Site {
    build: PathBuf,
    /// This stack's `config.json`, answered from memory: nothing is written into the build, so
    /// any number of stacks (and the browser tests) serve one build, each with its own API.
    config: String,
    /// When this stack made its `config.json`, as an HTTP date: its `Last-Modified`.
    config_modified: String,
}

/// The path of the stack's own configuration; a `config.json` in the build is never served.
const CONFIG_PATH: &str = "/config.json";

/// The HTTP date (RFC 9110, IMF-fixdate) of a moment.
fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Returns the router that serves the build, with `/config.json` pointing at this stack's API
/// answered from memory: the build directory is only read.
pub fn site(
    build: &Path,
    api_url: &str,
    backoffice_url: &str,
    informat: &crate::idp::IdentityProvider,
) -> Result<axum::Router, StackError> {
    csp_of(build)?;
    // The terms and privacy policy: the portal's own placeholder pages (in AWS the template's
    // TermsUrl and PrivacyUrl, which default to the same); where school administrators sign in
    // (infra/deploy-web.sh writes the same keys in AWS).
    let config = json!({
        "api_url": api_url,
        "local_mailbox": true,
        "backoffice_url": backoffice_url,
        "informat_issuer": informat.issuer,
        "informat_client_id": informat.client_id,
        "informat_rights_claim": informat.rights_claim,
        "terms_url": "/voorwaarden",
        "privacy_url": "/privacybeleid",
    });
    let site = Arc::new(Site {
        build: build.to_owned(),
        config: format!("{config}\n"),
        config_modified: http_date(chrono::Utc::now()),
    });
    Ok(axum::Router::new().fallback(serve).with_state(site))
}

/// `config.json` as the build's files are answered (ServeDir): its type, length and
/// `Last-Modified`, and a 304 to a revalidation that has it already. The headers every answer
/// gets are added by [`serve`].
fn config(site: &Site, request: &Request) -> Response {
    let since = request.headers().get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok());
    let modified = chrono::DateTime::parse_from_rfc2822(&site.config_modified).ok();
    let fresh =
        since.and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok()).zip(modified).is_some_and(|(s, m)| m <= s);
    let last_modified = (header::LAST_MODIFIED, site.config_modified.clone());
    if fresh {
        return (StatusCode::NOT_MODIFIED, [last_modified]).into_response();
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json".to_owned()), last_modified], site.config.clone())
        .into_response()
}

async fn serve(State(site): State<Arc<Site>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let page = is_page(&path);
    let mut response = if request.method() != Method::GET && request.method() != Method::HEAD {
        // Headed below like every other answer.
        (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response()
    } else if path == CONFIG_PATH {
        config(&site, &request)
    } else if !page && !is_build_file(&site.build, &path) {
        // Exactly the build's files: no fallback of ServeDir's answers for a name that is not one.
        StatusCode::NOT_FOUND.into_response()
    } else {
        let answer = if page {
            ServeFile::new(site.build.join("index.html")).try_call(request).await
        } else {
            ServeDir::new(&site.build).append_index_html_on_directories(false).try_call(request).await
        };
        match answer {
            Ok(response) => response.map(axum::body::Body::new),
            Err(e) => {
                tracing::error!(error = %e, path, "serving the front end");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    };
    let headers = response.headers_mut();
    // Read anew for every answer: a rebuild changes the boot script's hash.
    let csp = csp_of(&site.build).unwrap_or_else(|_| "default-src 'self'; frame-ancestors 'none'".into());
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    let immutable = !page && path.starts_with("/_app/immutable/") && response.status() == StatusCode::OK;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable { "public, max-age=31536000, immutable" } else { "no-cache" }),
    );
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_get_index_html_and_files_are_files() {
        for page in ["/", "/applicaties/x", "/beheer/toegang/abc.def", "/partners/a.b", "/index", "/_app"] {
            assert!(is_page(page), "{page}");
        }
        for file in
            ["/config.json", "/favicon.svg", "/index.html", "/_app/immutable/entry/start.js", "/_app/version.json"]
        {
            assert!(!is_page(file), "{file}");
        }
    }

    /// The deployed host applies the same rule: template.yaml's CloudFront function, in the
    /// same two conditions.
    #[test]
    fn the_web_distribution_rewrites_as_the_local_stack() {
        let function = crate::template::properties("WebPageRewrite").unwrap();
        let code = function["FunctionCode"].as_str().unwrap();
        assert!(code.contains("uri.lastIndexOf('/') === 0 && uri.indexOf('.') > 0"), "{code}");
        assert!(code.contains("uri.indexOf('/_app/') !== 0 && !rootFile"), "{code}");
        assert!(code.contains("request.uri = '/index.html'"), "{code}");
    }

    /// The header part of the deployed Content-Security-Policy: no inline scripts allowed by
    /// it, no framing, and no default-src or script-src that would block the build's hashed
    /// boot script (index.html's <meta> restricts scripts).
    #[test]
    fn the_web_distributions_csp_is_strict_and_leaves_scripts_to_the_meta() {
        let policy = crate::template::properties("WebResponseHeaders").unwrap();
        let security = &policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
        let csp = &security["ContentSecurityPolicy"]["ContentSecurityPolicy"];
        let text = csp.as_vec().and_then(|sub| sub[0].as_str()).or_else(|| csp.as_str()).unwrap();
        let directives: Vec<&str> = text.split(';').map(str::trim).collect();
        for wanted in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "script-src-attr 'none'"] {
            assert!(directives.contains(&wanted), "{wanted} missing: {text}");
        }
        assert!(directives.iter().any(|d| d.starts_with("connect-src 'self' ${ApiOrigin}")), "{text}");
        assert!(!text.contains("unsafe-inline") && !text.contains("unsafe-eval"), "{text}");
        assert!(!directives.iter().any(|d| d.starts_with("default-src") || d.starts_with("script-src ")), "{text}");
        assert_eq!(security["ContentTypeOptions"]["Override"].as_bool(), Some(true));
        assert_eq!(security["FrameOptions"]["FrameOption"].as_str(), Some("DENY"));
        assert!(security["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_i64().unwrap() >= 31_536_000);
        assert!(security["ReferrerPolicy"]["ReferrerPolicy"].as_str().is_some());
    }
}
