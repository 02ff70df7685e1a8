//! The stand-in for Informat's identity provider (issue 22): `infra/idp/server.mjs`, the certified
//! `oidc-provider` package for Node.js, with school administrators as its users. It issues real
//! RS256-signed ID tokens through the authorization code flow with PKCE, as Informat's does; the
//! local gateway verifies them as the template's InformatAuthorizer does in AWS.
//!
//! One runs per local stack (its own port, its own users), a child of this process that ends
//! when its standard input closes, so it never outlives the stack.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::StackError;

/// The back office's client id at the stand-in (InformatClientId in the template).
pub const CLIENT_ID: &str = "partnerportaal-beheer";
/// The claim with the administrator's rights (InformatRightsClaim's default).
pub const RIGHTS_CLAIM: &str = portal::config::DEFAULT_RIGHTS_CLAIM;
/// Where the back office takes the authorization code back: `<backoffice>` + this.
pub const REDIRECT_PATH: &str = "/aanmelden/informat";

/// The stand-in's sources (server.mjs, package.json and its lockfile).
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("idp")
}

const NEEDS_NODE: &str = "the local stand-in for Informat's identity provider needs Node.js 20.19 or later with npm \
     (https://nodejs.org/)";

/// A running stand-in.
pub struct IdentityProvider {
    /// Its issuer, `http://127.0.0.1:<port>`: the `iss` of its tokens, with
    /// `/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub rights_claim: String,
    _child: Child,
}

/// How long the stand-in may take to listen.
const START_WITHIN: Duration = Duration::from_secs(60);

/// The last lines the stand-in wrote to its standard error (it warns there, and Node.js says
/// there why it could not start), read all along so that the pipe never fills up.
#[derive(Clone, Default)]
struct StderrTail(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>);

impl StderrTail {
    const LINES: usize = 20;

    fn follow(stderr: tokio::process::ChildStderr) -> Self {
        let tail = Self::default();
        let kept = tail.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mut held) = kept.0.lock() {
                    if held.len() == Self::LINES {
                        held.pop_front();
                    }
                    held.push_back(line);
                }
            }
        });
        tail
    }

    /// `; it said: …` with what it wrote, or nothing.
    fn tail(&self) -> String {
        let held = self.0.lock().map(|h| h.iter().cloned().collect::<Vec<_>>().join(" | ")).unwrap_or_default();
        if held.is_empty() { String::new() } else { format!("; it said: {held}") }
    }
}

/// One installation at a time in this process (the end-to-end tests start stacks in parallel).
static INSTALL: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// `npm ci` in infra/idp when its node_modules does not hold exactly the lockfile's packages.
pub async fn ensure_installed(dir: &Path) -> Result<(), StackError> {
    let mut done = INSTALL.lock().await;
    if *done {
        return Ok(());
    }
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || crate::npm::ci_when_stale(&dir, NEEDS_NODE))
        .await
        .map_err(|e| StackError::Idp(format!("npm ci: {e}")))?
        .map_err(StackError::Idp)?;
    *done = true;
    Ok(())
}

impl IdentityProvider {
    /// Starts the stand-in on a free loopback port, for the back office at `backoffice_url`
    /// (its only redirect URI is `<backoffice_url>/aanmelden/informat`), and waits until it
    /// listens.
    pub async fn start(backoffice_url: &str) -> Result<Self, StackError> {
        let dir = source_dir();
        ensure_installed(&dir).await?;
        let redirect = format!("{}{REDIRECT_PATH}", backoffice_url.trim_end_matches('/'));
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .args([
                "--port",
                "0",
                "--client-id",
                CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--rights-claim",
                RIGHTS_CLAIM,
            ])
            // Its standard input stays open while this process lives: it ends with the stack.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| StackError::Idp(format!("node could not be started ({e}): {NEEDS_NODE}")))?;
        let stdout = child.stdout.take().ok_or_else(|| StackError::Idp("no standard output".into()))?;
        let stderr = child.stderr.take().ok_or_else(|| StackError::Idp("no standard error".into()))?;
        let said = StderrTail::follow(stderr);
        let mut lines = BufReader::new(stdout).lines();
        // It listens within half a second on an idle machine; the end-to-end tests start one per
        // stack while others run, on as few as two CPUs, so it gets the emulator's minute.
        let first = tokio::time::timeout(START_WITHIN, lines.next_line())
            .await
            .map_err(|_| {
                StackError::Idp(format!(
                    "infra/idp/server.mjs did not start within {} s{}",
                    START_WITHIN.as_secs(),
                    said.tail()
                ))
            })?
            .map_err(|e| StackError::Idp(format!("infra/idp/server.mjs: {e}")))?
            .ok_or_else(|| StackError::Idp(format!("infra/idp/server.mjs ended before it listened{}", said.tail())))?;
        let started: serde_json::Value = serde_json::from_str(&first)
            .map_err(|e| StackError::Idp(format!("infra/idp/server.mjs printed {first:?}: {e}")))?;
        let issuer = started["issuer"]
            .as_str()
            .ok_or_else(|| StackError::Idp(format!("infra/idp/server.mjs printed {first:?}")))?
            .to_owned();
        Ok(Self { issuer, client_id: CLIENT_ID.into(), rights_claim: RIGHTS_CLAIM.into(), _child: child })
    }

    /// Adds (or replaces) a school administrator: its username, password, e-mail address and
    /// rights (`leerlingen:012345 personeel:012345`).
    pub async fn add_user(&self, username: &str, password: &str, email: &str, rights: &str) -> Result<(), StackError> {
        let body = serde_json::json!({"username": username, "password": password, "email": email, "rights": rights});
        reqwest::Client::new()
            .post(format!("{}/_local/users", self.issuer))
            .json(&body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| StackError::Idp(format!("adding {username}: {e}")))?;
        Ok(())
    }
}

/// A sign-in that did not end with an ID token.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The provider refused the username or password (its login page came back with an error).
    #[error("the username or password was refused")]
    Refused,
    #[error("{0}")]
    Flow(String),
}

impl IdentityProvider {
    /// Signs `username` in as the back office does in a browser, over HTTP: the authorization
    /// request with PKCE (S256), the provider's login form, the redirect back with the code, and
    /// the code exchanged at the token endpoint. Returns the ID token, which the API takes.
    pub async fn sign_in(&self, redirect_uri: &str, username: &str, password: &str) -> Result<String, SignInError> {
        use base64::Engine as _;
        use sha2::Digest as _;
        let flow = |what: &str, e: &dyn std::fmt::Display| SignInError::Flow(format!("{what}: {e}"));
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let verifier = b64.encode(uuid::Uuid::new_v4().as_bytes().repeat(2));
        let challenge = b64.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let (state, nonce) = (uuid::Uuid::new_v4().simple().to_string(), uuid::Uuid::new_v4().simple().to_string());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| flow("client", &e))?;
        let mut cookies = Cookies::default();
        let authorize = url::Url::parse_with_params(
            &format!("{}/auth", self.issuer),
            [
                ("client_id", self.client_id.as_str()),
                ("response_type", "code"),
                ("scope", "openid email profile informat"),
                ("redirect_uri", redirect_uri),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("state", state.as_str()),
                ("nonce", nonce.as_str()),
            ],
        )
        .map_err(|e| flow("authorization request", &e))?;
        let login = cookies.follow(http.get(authorize)).await?;
        let login = self.absolute(&login);
        let response = cookies
            .send(http.post(format!("{login}/login")).form(&[("username", username), ("password", password)]))
            .await?;
        let Some(resume) = location(&response) else {
            return Err(SignInError::Refused);
        };
        let back = cookies.follow(http.get(self.absolute(&resume))).await?;
        let back = url::Url::parse(&back).map_err(|e| flow("redirect back", &e))?;
        let param = |name: &str| back.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        if param("state").as_deref() != Some(state.as_str()) {
            return Err(SignInError::Flow(format!("the redirect back carries another state: {back}")));
        }
        let code = param("code").ok_or_else(|| SignInError::Flow(format!("no code in {back}")))?;
        let token: serde_json::Value = http
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("client_id", self.client_id.as_str()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| flow("token request", &e))?
            .json()
            .await
            .map_err(|e| flow("token answer", &e))?;
        token["id_token"].as_str().map(str::to_owned).ok_or_else(|| SignInError::Flow(format!("no id_token: {token}")))
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') { format!("{}{location}", self.issuer) } else { location.to_owned() }
    }
}

fn location(response: &reqwest::Response) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The provider's cookies (its interaction and session), sent back on every request as a
/// browser on one host would.
#[derive(Default)]
struct Cookies(std::collections::BTreeMap<String, String>);

impl Cookies {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, SignInError> {
        let header = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let request = if header.is_empty() { request } else { request.header(reqwest::header::COOKIE, header) };
        let response = request.send().await.map_err(|e| SignInError::Flow(format!("request: {e}")))?;
        for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((name, value)) =
                set.to_str().ok().and_then(|s| s.split(';').next()).and_then(|p| p.split_once('='))
            else {
                continue;
            };
            if value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        Ok(response)
    }

    /// Sends and returns where the answer redirects to.
    async fn follow(&mut self, request: reqwest::RequestBuilder) -> Result<String, SignInError> {
        let response = self.send(request).await?;
        let status = response.status();
        location(&response).ok_or_else(|| SignInError::Flow(format!("expected a redirect, got {status}")))
    }
}
