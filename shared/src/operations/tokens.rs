//! The OAuth2 authorization server for approved applications: the client credentials grant
//! (POST /oauth2/token) and what a resource server needs to check its tokens offline (the JWKS
//! and the RFC 8414 metadata).
//!
//! Per request the endpoint does one Query (the client and its failure count together), the
//! secret or signature check, and one KMS Sign. It writes only when something needs counting:
//! a failure, the end of a run of failures, or the `jti` of an assertion.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::deps::Deps;
use crate::domain::{CLOCK_SKEW, ClientAuth, OAuthError, OAuthErrorCode, Scope, SecretHash, TokenRequest};
use crate::error::AppError;
use crate::ports::{SignerError, StoreError};

/// Failed client authentications per client id are counted in this window ...
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// ... and after this many, only credentials nobody can guess are still checked (see [`token`]).
pub const MAX_FAILURES: u32 = 10;

/// Why a token request got no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The client's fault: answered as RFC 6749 §5.2 says.
    #[error("refused: {}", .0.code.as_str())]
    Refused(OAuthError),
    /// Ours: answered as a problem, logged with its cause.
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<OAuthError> for TokenError {
    fn from(e: OAuthError) -> Self {
        Self::Refused(e)
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<SignerError> for TokenError {
    fn from(e: SignerError) -> Self {
        Self::Failed(e.into())
    }
}

/// The 200 answer of the token endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
}

fn invalid_client(description: impl Into<String>, basic: bool) -> OAuthError {
    OAuthError { basic, ..OAuthError::new(OAuthErrorCode::InvalidClient, description) }
}

/// What the secret of an unknown client id is checked against: the SHA-256 digest a generated
/// secret has (of nothing anyone sends: a digest is 64 hex digits, a preimage would be needed),
/// so an unknown id costs what a known id with a generated secret costs.
static UNKNOWN_CLIENT_SECRET: LazyLock<SecretHash> = LazyLock::new(|| SecretHash::Sha256("0".repeat(64)));

/// One answer for an unknown client and a wrong or replaced secret (the manual: 400 "invalid_client").
const UNKNOWN_CLIENT: &str = "Onbekende client of ongeldig secret.";

/// POST /oauth2/token.
///
/// Throttling: after [`MAX_FAILURES`] failed authentications for one client id within
/// [`FAILURE_WINDOW`], an imported secret (argon2id, strength unknown) is no longer checked and
/// the answer is 429. A generated secret (256 random bits) and a signed assertion are still
/// checked: nobody can guess them, so the owner keeps working while someone else hammers its
/// client id, and the throttle still stops guessing a weak secret and the CPU it costs.
pub async fn create_token(deps: &Deps, request: TokenRequest) -> Result<IssuedToken, TokenError> {
    let now = deps.clock.now();
    let id = request.auth.client_id().clone();
    let basic = request.auth.is_basic();
    let found = deps.tokens.token_client(&id, now, FAILURE_WINDOW).await?;
    let throttled = found.failures.filter(|a| a.failures >= MAX_FAILURES);
    let audiences = [deps.config.issuer().to_owned(), deps.config.token_endpoint()];
    let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();

    let checked: Result<(), String> = match (&request.auth, found.client.as_ref()) {
        (ClientAuth::Secret { secret, .. }, Some(client)) => {
            let ok = if throttled.is_some() {
                client.generated_secret_matches(secret, now)
            } else {
                client.secret_matches(secret, now)
            };
            if ok { Ok(()) } else { Err(UNKNOWN_CLIENT.into()) }
        }
        (ClientAuth::Secret { secret, .. }, None) => {
            // As long as a known id with a generated secret, the common case: timing does not
            // tell which ids exist (an id with an imported secret is slower; see docs/operations.md).
            let _ = UNKNOWN_CLIENT_SECRET.verifies(secret);
            Err(UNKNOWN_CLIENT.into())
        }
        (ClientAuth::Assertion { assertion, .. }, Some(client)) => {
            match client.jwks.verify_assertion(assertion, id.as_str(), &audiences, now) {
                Ok(claims) => {
                    // Remembered until it expires (plus the skew allowed), so it works once.
                    let until = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now) + CLOCK_SKEW;
                    let jti = claims.jti.unwrap_or_default();
                    if deps.tokens.use_assertion_once(&id, &jti, now, until).await? {
                        Ok(())
                    } else {
                        Err("De client_assertion werd al gebruikt: maak voor elke aanvraag een nieuwe, met een eigen 'jti'."
                            .into())
                    }
                }
                Err(why) => Err(format!("De client_assertion is ongeldig: {why}.")),
            }
        }
        (ClientAuth::Assertion { .. }, None) => Err(
            "De client_assertion is ongeldig: geen geregistreerde sleutel past bij de 'kid' en het algoritme van de assertion."
                .into(),
        ),
    };
    if let Err(description) = checked {
        if let Some(attempts) = throttled {
            let retry_after_seconds = (attempts.window_started_at + FAILURE_WINDOW - now).num_seconds().max(1);
            tracing::warn!(client_id = %id, method = request.auth.method(), outcome = "throttled", "token refused");
            return Err(OAuthError {
                retry_after_seconds: Some(retry_after_seconds),
                ..invalid_client(
                    format!(
                        "Te veel mislukte pogingen voor deze client. Probeer opnieuw over {retry_after_seconds} seconden."
                    ),
                    basic,
                )
            }
            .into());
        }
        let attempts = deps.tokens.record_token_failure(&id, now, FAILURE_WINDOW).await?;
        tracing::warn!(client_id = %id, method = request.auth.method(), failures = attempts.failures, outcome = "invalid_client", "token refused");
        return Err(invalid_client(description, basic).into());
    }
    let client = found.client.ok_or_else(|| AppError::invariant("authenticated without a client"))?;
    if found.failures.is_some() {
        deps.tokens.clear_token_failures(&id).await?;
    }
    if !client.active {
        tracing::info!(client_id = %id, outcome = "not_approved", "token refused");
        return Err(invalid_client(
            "De applicatie van deze client is niet (meer) goedgekeurd: alleen een goedgekeurde applicatie krijgt een token.",
            basic,
        )
        .into());
    }
    if client.partner_suspended {
        tracing::info!(client_id = %id, outcome = "partner_inactive", "token refused");
        return Err(invalid_client(
            "De partner van deze applicatie werd door Informat gedeactiveerd: zolang dat zo is, krijgt de client geen token.",
            basic,
        )
        .into());
    }

    let granted = client.token_scopes();
    let scopes: BTreeSet<Scope> = match request.scope {
        Some(asked) => {
            let missing: Vec<String> = asked.difference(&granted).map(ToString::to_string).collect();
            if !missing.is_empty() {
                return Err(OAuthError::new(
                    OAuthErrorCode::InvalidScope,
                    format!("Niet toegekend aan deze applicatie: {}.", missing.join(" ")),
                )
                .into());
            }
            asked
        }
        None if granted.is_empty() => {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                "Nog geen enkele school gaf deze applicatie toegang: er is geen scope om in een token te zetten.",
            )
            .into());
        }
        None => granted,
    };
    let scope = scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
    let access_token = sign(deps, client.id.as_str(), &scope).await?;
    tracing::info!(client_id = %id, method = request.auth.method(), scopes = scopes.len(), outcome = "issued", "token issued");
    Ok(IssuedToken { access_token, token_type: "Bearer", expires_in: deps.config.token_lifetime_seconds, scope })
}

/// An access token (RFC 9068 profile): header `{alg: ES256, typ: at+jwt, kid}`, claims
/// `iss, sub, aud, client_id, scope, iat, exp, jti`. `sub` is the client id: this issuer only
/// issues tokens to clients, and a client id is never shaped like a user's id (a UUID).
async fn sign(deps: &Deps, client_id: &str, scope: &str) -> Result<String, TokenError> {
    let now = deps.clock.now().timestamp();
    let kid = deps.signer.public_jwk().await?.kid;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(AppError::from)?;
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
    let claims = json!({
        "iss": deps.config.issuer(),
        "sub": client_id,
        "aud": deps.config.token_audience,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + deps.config.token_lifetime_seconds,
        "jti": hex::encode(jti),
    });
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = deps.signer.sign_es256(input.as_bytes()).await?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// GET /.well-known/jwks.json: the public key that signs access tokens.
pub async fn get_jwks(deps: &Deps) -> Result<Value, AppError> {
    Ok(json!({"keys": [deps.signer.public_jwk().await?]}))
}

/// GET /.well-known/oauth-authorization-server (RFC 8414).
pub fn get_authorization_server_metadata(config: &Config) -> Value {
    json!({
        "issuer": config.issuer(),
        "token_endpoint": config.token_endpoint(),
        "jwks_uri": format!("{}/.well-known/jwks.json", config.issuer()),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
    })
}
