//! The local stack serves a built front end as the deployed host does: a page path (a deep link,
//! the back office's too) gets index.html, a file its own type, a missing asset a 404, every
//! answer the security headers with the build's CSP, and config.json points at the local API.
//! A tiny fake build stands in for web/build, so no npm is needed.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use portal_local::{LocalStack, Options};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const INDEX: &str = r#"<!doctype html><html><head><meta http-equiv="content-security-policy" content="default-src 'self'; script-src 'self' 'sha256-abc='"><title>Portaal</title></head><body>index</body></html>"#;

fn fake_build() -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("portal-web-{}", uuid::Uuid::new_v4().simple()));
    let build = root.join("build");
    std::fs::create_dir_all(build.join("_app/immutable/entry")).unwrap();
    std::fs::write(build.join("index.html"), INDEX).unwrap();
    std::fs::write(build.join("_app/immutable/entry/start.abc123.js"), "console.log('start');").unwrap();
    std::fs::write(build.join("_app/version.json"), r#"{"version":"1"}"#).unwrap();
    std::fs::write(build.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    // Beside the build, not in it: must never be served.
    std::fs::write(root.join("secret.txt"), "geheim").unwrap();
    (root, build)
}

/// A request as written, without a client normalising its path first.
async fn raw_get(address: &str, path: &str) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// A local stack serving a fresh fake build: the stack (keep it alive), the build's temporary
/// root, the build and the front end's address.
async fn stack_with_fake_build() -> (LocalStack, PathBuf, PathBuf, String) {
    let options = Options {
        port: 0,
        aws_endpoint: None,
        portal_url: "http://localhost:5173".into(),
        backoffice_url: String::new(),
    };
    let mut stack = LocalStack::start(options).await.unwrap_or_else(|e| panic!("the local stack must start: {e}"));
    let (root, build) = fake_build();
    let portal = stack.serve_front_end(&build, 0).await.unwrap();
    (stack, root, build, portal)
}

#[tokio::test]
async fn serves_the_build_with_fallback_headers_and_config() {
    let (stack, root, build, portal) = stack_with_fake_build().await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{portal}{path}")).send();

    // Deep links, the partner's and the back office's: index.html, never cached.
    for path in ["/", "/applicaties/x", "/beheer/toegang/abc.def-ghi", "/partners/een-partner", "/profiel"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert_eq!(
            headers["content-security-policy"],
            "default-src 'self'; script-src 'self' 'sha256-abc='; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }

    // The build's files with their types; hashed assets cached for good.
    let script = get("/_app/immutable/entry/start.abc123.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(script.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    assert_eq!(script.text().await.unwrap(), "console.log('start');");
    let icon = get("/favicon.svg").await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert_eq!(icon.headers()["cache-control"], "no-cache");
    let head = http.head(format!("{portal}/applicaties/x")).send().await.unwrap();
    assert_eq!(head.status(), 200);

    // A missing asset or root file is a 404, not the app (as the deployed CloudFront function).
    for path in ["/_app/immutable/entry/missing.js", "/robots.txt"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
    }
    let post = http.post(format!("{portal}/applicaties")).send().await.unwrap();
    assert_eq!(post.status(), 405);

    // config.json: the local API, the mailbox, the back office.
    let config = get("/config.json").await.unwrap();
    assert_eq!(config.status(), 200);
    assert!(config.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(config.headers()["cache-control"], "no-cache");
    let config: serde_json::Value = config.json().await.unwrap();
    assert_eq!(
        config,
        serde_json::json!({
            "api_url": stack.api_url,
            "local_mailbox": true,
            "backoffice_url": "http://localhost:5173/beheer",
            "informat_issuer": stack.informat.issuer,
            "informat_client_id": "partnerportaal-beheer",
            "informat_rights_claim": "informat_admin_scopes",
            "terms_url": "/voorwaarden",
            "privacy_url": "/privacybeleid",
        })
    );
    assert!(!build.join("config.json").exists(), "config.json is answered from memory, not written into the build");

    // Nothing outside the build, however the path is spelled.
    for path in [
        "/../secret.txt",
        "/_app/../../secret.txt",
        "/_app/%2e%2e/%2e%2e/secret.txt",
        "/_app/..%2f..%2fsecret.txt",
        "/_app/immutable/..%5c..%5c..%5csecret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let answer = raw_get(&portal, path).await;
        assert!(!answer.contains("geheim"), "{path} escaped the build:\n{answer}");
        let status = answer.lines().next().unwrap_or_default();
        assert!(status.contains(" 404 ") || status.contains(" 400 ") || answer.contains(INDEX), "{path}: {status}");
    }

    drop(stack);
    std::fs::remove_dir_all(root).unwrap();
}

/// Exactly the build's files are files: a real name with something appended is no file and no
/// page, so 404; and every answer, a 404 or 405 too, carries the security headers.
#[tokio::test]
async fn serves_exactly_the_builds_files_and_heads_every_answer() {
    let (_stack, root, _build, portal) = stack_with_fake_build().await;
    let http = reqwest::Client::new();
    let headed = |headers: &reqwest::header::HeaderMap, what: &str| {
        assert!(headers.contains_key("content-security-policy"), "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert!(headers.contains_key("referrer-policy"), "{what}");
    };
    for path in
        ["/_app/immutable/entry/start.abc123.js.html", "/favicon.svg.html", "/index.html.map", "/config.json.bak"]
    {
        let response = http.get(format!("{portal}{path}")).header("accept-encoding", "identity").send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        headed(response.headers(), path);
    }
    let page =
        http.get(format!("{portal}/applicaties/abc")).header("accept-encoding", "identity").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("index"));
    for (method, path) in [(reqwest::Method::POST, "/"), (reqwest::Method::DELETE, "/favicon.svg")] {
        let response = http.request(method.clone(), format!("{portal}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        headed(response.headers(), &format!("{method} {path}"));
    }
    std::fs::remove_dir_all(root).unwrap();
}

/// Every file under a directory with its bytes, to compare a build before and after.
fn snapshot(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path.strip_prefix(dir).unwrap().to_owned(), bytes));
            }
        }
    }
    files.sort();
    files
}

/// Two local stacks on one machine serving the same build: each answers its own config.json
/// (from memory, headed as a file of the build), and the build is left exactly as it was, so
/// neither stack (nor the browser tests) ever talks to the other's API.
#[tokio::test]
async fn two_stacks_serve_one_build_each_with_its_own_config_and_write_nothing() {
    let (root, build) = fake_build();
    let before = snapshot(&build);
    let start = |portal_url: &str| {
        let options =
            Options { port: 0, aws_endpoint: None, portal_url: portal_url.into(), backoffice_url: String::new() };
        LocalStack::start(options)
    };
    let mut one = start("http://localhost:5173").await.unwrap_or_else(|e| panic!("the first stack must start: {e}"));
    let mut two = start("http://localhost:5174").await.unwrap_or_else(|e| panic!("the second stack must start: {e}"));
    assert_ne!(one.api_url, two.api_url);
    assert_ne!(one.informat.issuer, two.informat.issuer, "each stack has its own identity provider");
    let portal_one = one.serve_front_end(&build, 0).await.unwrap();
    let portal_two = two.serve_front_end(&build, 0).await.unwrap();
    let http = reqwest::Client::new();

    for (portal, stack, backoffice) in
        [(&portal_one, &one, "http://localhost:5173/beheer"), (&portal_two, &two, "http://localhost:5174/beheer")]
    {
        let config = http.get(format!("{portal}/config.json")).send().await.unwrap();
        assert_eq!(config.status(), 200, "{portal}");
        let headers = config.headers().clone();
        let config: serde_json::Value = config.json().await.unwrap();
        assert_eq!(
            config,
            serde_json::json!({
                "api_url": stack.api_url,
                "local_mailbox": true,
                "backoffice_url": backoffice,
                "terms_url": "/voorwaarden",
                "privacy_url": "/privacybeleid",
                "informat_issuer": stack.informat.issuer,
                "informat_client_id": "partnerportaal-beheer",
                "informat_rights_claim": "informat_admin_scopes",
            }),
            "{portal}"
        );
        // Headed as a file of the build is: its type, no-cache, the security headers.
        let icon = http.get(format!("{portal}/favicon.svg")).send().await.unwrap();
        assert_eq!(headers["content-type"], "application/json", "{portal}");
        for name in
            ["cache-control", "content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"]
        {
            assert_eq!(headers[name], icon.headers()[name], "{portal}: {name}");
        }
        assert_eq!(headers["cache-control"], "no-cache", "{portal}");
        assert!(headers.contains_key("last-modified"), "{portal}");
        // A revalidation as the browser sends it: not modified since.
        let again = http
            .get(format!("{portal}/config.json"))
            .header("if-modified-since", headers["last-modified"].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{portal}");
        assert_eq!(again.headers()["cache-control"], "no-cache", "{portal}");
        let head = http.head(format!("{portal}/config.json")).send().await.unwrap();
        assert_eq!(head.status(), 200, "{portal}");
        assert_eq!(head.headers()["content-length"], headers["content-length"], "{portal}");
        let post = http.post(format!("{portal}/config.json")).send().await.unwrap();
        assert_eq!(post.status(), 405, "{portal}");
    }

    assert!(!build.join("config.json").exists(), "config.json was written into the build");
    assert!(snapshot(&build) == before, "the build changed");
    drop((one, two));
    std::fs::remove_dir_all(root).unwrap();
}
