//! The AWS emulator: moto's server application (what `moto_server` serves) on a free loopback
//! port, owned by this process (killed when dropped), or an emulator someone else runs
//! (`PORTAL_AWS_ENDPOINT`).
//!
//! It is started through Python rather than the `moto_server` script, which works right after a
//! pip install too, and it serves one request at a time. moto's `moto_server` serves requests on
//! threads, and its TransactWriteItems rolls a failed transaction back by restoring a copy of the
//! whole table taken before it began: a transaction that fails while another one succeeds at
//! the same moment erases the other's writes. DynamoDB's transactions are atomic; serving one
//! request at a time makes the emulator's atomic too. The portal's own requests still run
//! concurrently, which is what the concurrency tests are about.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::StackError;

/// The moto release line the local stack is written against.
const MOTO_REQUIREMENT: &str = "moto[server]>=5.2,<6";

/// `moto.server`'s `main`, with `threaded=False` (see the module documentation), and Cognito
/// made to refuse what AWS refuses (moto 5.2 does not):
/// - `UpdateUserAttributes` and `SignUp` with an attribute outside the app client's
///   `WriteAttributes` fail with NotAuthorizedException "A client attempted to write unauthorized
///   attribute", as in AWS (an absent list allows every attribute, as in AWS). The client is the
///   one the access token was issued to, or the one that signs up.
/// - `SignUp` in a pool with `AllowAdminCreateUserOnly` fails with NotAuthorizedException
///   "SignUp is not permitted for this user pool", as in AWS.
/// - `RevokeToken` (which moto lacks) revokes a refresh token issued to the calling app client, as
///   in AWS: `InitiateAuth` REFRESH_TOKEN_AUTH with it then fails with NotAuthorizedException
///   "Refresh Token has been revoked", and the access tokens issued from it (same `origin_jti`) are
///   forgotten, so `GetUser` and the like refuse them. An unknown token is no error (RFC 7009);
///   one of another app client fails with NotAuthorizedException.
/// - `RespondToAuthChallenge` NEW_PASSWORD_REQUIRED with a `USERNAME` other than the user the
///   session was started for fails with NotAuthorizedException, as in AWS (moto would set that
///   other user's password).
///
/// A refused call changes nothing, so later tokens carry nothing changed.
const SERVE: &str = r#"import os, signal, sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.cognitoidp import models as cognito
from moto.cognitoidp.exceptions import NotAuthorizedError

def _may_write(client, attributes):
    allowed = client.extended_config.get('WriteAttributes') if client else None
    if allowed and any(a.get('Name') not in allowed for a in attributes or []):
        raise NotAuthorizedError('A client attempted to write unauthorized attribute')

_update_user_attributes = cognito.CognitoIdpBackend.update_user_attributes
def update_user_attributes(self, access_token, attributes):
    for pool in self.user_pools.values():
        if access_token in pool.access_tokens:
            client_id, _ = pool.access_tokens[access_token]
            _may_write(pool.clients.get(client_id), attributes)
    return _update_user_attributes(self, access_token, attributes)
cognito.CognitoIdpBackend.update_user_attributes = update_user_attributes

_sign_up = cognito.CognitoIdpBackend.sign_up
def sign_up(self, client_id, username, password, attributes):
    for pool in self.user_pools.values():
        if client_id in pool.clients:
            if (pool.extended_config.get('AdminCreateUserConfig') or {}).get('AllowAdminCreateUserOnly'):
                raise NotAuthorizedError('SignUp is not permitted for this user pool')
            _may_write(pool.clients[client_id], attributes)
    return _sign_up(self, client_id, username, password, attributes)
cognito.CognitoIdpBackend.sign_up = sign_up

import base64, json
from moto.cognitoidp import responses as cognito_responses
from moto.core.responses import EmptyResult

def _origin_jti(jwt):
    try:
        payload = jwt.split('.')[1]
        return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4))).get('origin_jti')
    except Exception:
        return None

def revoke_token(self, token, client_id):
    for pool in self.user_pools.values():
        issued = pool.refresh_tokens.get(token)
        if issued is None:
            continue
        issued_to, _, origin_jti = issued
        if issued_to != client_id:
            raise NotAuthorizedError('Invalid token')
        pool.refresh_tokens[token] = None
        for access_token in list(pool.access_tokens):
            if _origin_jti(access_token) == origin_jti:
                pool.access_tokens.pop(access_token)
cognito.CognitoIdpBackend.revoke_token = revoke_token

def _revoke_token_action(self):
    # Unsigned, so moto routes it to us-east-1: the pool's region is the client's.
    client_id = self._get_param('ClientId')
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    backend.revoke_token(self._get_param('Token'), client_id)
    return EmptyResult()
cognito_responses.CognitoIdpResponse.revoke_token = _revoke_token_action

_respond_to_auth_challenge = cognito.CognitoIdpBackend.respond_to_auth_challenge
def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
    if challenge_name == 'NEW_PASSWORD_REQUIRED' and session in self.sessions:
        started_for, _ = self.sessions[session]
        if (challenge_responses or {}).get('USERNAME') != started_for:
            raise NotAuthorizedError('Invalid session for the user.')
    return _respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses)
cognito.CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault('MOTO_PORT', str(port))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False)
"#;

pub struct Emulator {
    pub endpoint: String,
    _child: Option<Child>,
}

impl Emulator {
    pub fn external(endpoint: &str) -> Self {
        Self { endpoint: endpoint.trim_end_matches('/').to_owned(), _child: None }
    }

    /// Starts a private moto server (installing moto with pip when it is missing) and waits
    /// until it answers.
    pub async fn start() -> Result<Self, StackError> {
        ensure_installed().await?;
        let port = free_port()?;
        let child = Command::new("python3")
            .args(["-c", SERVE, "127.0.0.1", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| StackError::Emulator(format!("the moto server (python3) could not be started: {e}")))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_until_ready(&endpoint).await?;
        Ok(Self { endpoint, _child: Some(child) })
    }
}

async fn ensure_installed() -> Result<(), StackError> {
    let found = Command::new("python3")
        .args(["-c", "import moto.moto_server.werkzeug_app, werkzeug.serving, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    eprintln!("moto (with its server) was not found; installing {MOTO_REQUIREMENT} with pip ...");
    let installed = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", MOTO_REQUIREMENT])
        .status()
        .await
        .map_err(|e| StackError::Emulator(format!("python3 -m pip could not run: {e}")))?;
    if !installed.success() {
        return Err(StackError::Emulator(format!(
            "moto's server is missing and `python3 -m pip install '{MOTO_REQUIREMENT}'` failed; install it and try again"
        )));
    }
    Ok(())
}

fn free_port() -> Result<u16, StackError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| StackError::Emulator(format!("no free port: {e}")))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| StackError::Emulator(format!("no free port: {e}")))
}

async fn wait_until_ready(endpoint: &str) -> Result<(), StackError> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(format!("{endpoint}/moto-api/")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(StackError::Emulator(format!("the moto server did not answer on {endpoint} within 60 s")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
