//! The OAuth2 authorization server over HTTP (api.md "OAuth2"; manual 4: "foutieve client ID of
//! een oud secret ... 400 invalid_client"): the secret methods driven by the `oauth2` crate,
//! hand-made `private_key_jwt` assertions, tokens verified offline with `jwt-compact` from the
//! published JWKS, and the throttle on failed client authentication.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Duration;
use jwt_compact::alg::Es256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt as _, Claims, Header, TimeOptions, UntrustedToken};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use portal_e2e::{Answer, Stack, application_input, dynamodb_requests, one_query};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const LEGACY_ID: &str = "informat_school_012345";
const LEGACY_SECRET: &str = "Oud-Geheim-012345";

/// The `oauth2` crate's HTTP seam, served by this test's reqwest client.
#[derive(Debug)]
struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let mut outgoing = http.request(parts.method, parts.uri.to_string()).body(body);
    for (name, value) in &parts.headers {
        outgoing = outgoing.header(name, value);
    }
    let response = outgoing.send().await.map_err(|e| HttpError(e.to_string()))?;
    let mut answer = HttpResponse::new(Vec::new());
    *answer.status_mut() = response.status();
    *answer.headers_mut() = response.headers().clone();
    *answer.body_mut() = response.bytes().await.map_err(|e| HttpError(e.to_string()))?.to_vec();
    Ok(answer)
}

/// A token for `id`/`secret` through the `oauth2` crate; the scope it asked for, if any.
async fn library_token(
    stack: &Stack,
    id: &str,
    secret: &str,
    auth: AuthType,
    scopes: &[&str],
) -> Result<(String, Option<String>), RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>> {
    let client = BasicClient::new(ClientId::new(id.into()))
        .set_client_secret(ClientSecret::new(secret.into()))
        .set_token_uri(TokenUrl::new(stack.url("/oauth2/token")).unwrap())
        .set_auth_type(auth);
    let http = |request| send(&stack.http, request);
    let mut exchange = client.exchange_client_credentials();
    for scope in scopes {
        exchange = exchange.add_scope(Scope::new((*scope).into()));
    }
    let token = exchange.request_async(&http).await?;
    assert!(token.refresh_token().is_none(), "no refresh token for client credentials");
    assert_eq!(*token.token_type(), oauth2::basic::BasicTokenType::Bearer);
    let scope = token.scopes().map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" "));
    Ok((token.access_token().secret().clone(), scope))
}

fn error_of(err: RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>) -> BasicErrorResponseType {
    match err {
        RequestTokenError::ServerResponse(response) => response.error().clone(),
        other => panic!("not an OAuth2 error answer: {other:?}"),
    }
}

/// A raw token request: form body and optional Basic credentials.
async fn raw_token(stack: &Stack, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Answer {
    let mut request = stack.http.post(stack.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let answer = stack.send(request).await;
    assert_eq!(answer.headers["cache-control"], "no-store", "every token answer: {}", answer.body);
    answer
}

#[derive(Debug, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    client_id: String,
    scope: String,
    jti: String,
}

/// Verifies an access token the way a resource server would: offline, with the key from the
/// published JWKS, by a JWT library that neither signed it nor checks assertions in the portal.
async fn verified(stack: &Stack, token: &str) -> (AccessClaims, i64) {
    let jwks = stack.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert!(jwks.headers["cache-control"].to_str().unwrap().starts_with("public"), "cacheable");
    let untrusted = UntrustedToken::new(token).unwrap();
    assert_eq!(untrusted.header().token_type.as_deref(), Some("at+jwt"));
    let kid = untrusted.header().key_id.clone().expect("kid in the header");
    let jwk = jwks.body["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("kid in the JWKS");
    let key: JsonWebKey<'_> = serde_json::from_value(jwk.clone()).unwrap();
    let verifying = p256::ecdsa::VerifyingKey::try_from(&key).unwrap();
    let checked = Es256.validator::<AccessClaims>(&verifying).validate(&untrusted).expect("signature verifies offline");
    checked.claims().validate_expiration(&TimeOptions::default()).expect("not expired");
    let (_, claims) = checked.into_parts();
    let lifetime = (claims.expiration.unwrap() - claims.issued_at.unwrap()).num_seconds();
    (claims.custom, lifetime)
}

/// A partner with an approved application linked to an imported client holding three scopes.
async fn linked(stack: &Stack) -> (String, String) {
    stack
        .legacy_client(json!({"client_id": LEGACY_ID, "client_secret": LEGACY_SECRET, "scopes": ["leerlingen:012345", "personeel:012345", "leerlingen:54321"]}))
        .await;
    let (token, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let mut body = application_input("Lessenplanner", &["leerlingen"]);
    // The APIs come from the client's scopes.
    body.as_object_mut().unwrap().remove("apis");
    body["link"] = json!({"client_id": LEGACY_ID, "client_secret": LEGACY_SECRET});
    let created = stack.call("POST", "/applications", &token, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "approved");
    (token, created.body["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn secret_methods_issue_tokens_with_exactly_the_granted_scopes() {
    let stack = Stack::start().await;
    let (token, id) = linked(&stack).await;
    let metadata = stack.get("/.well-known/oauth-authorization-server", None).await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(metadata.body["issuer"], stack.local.api_url.as_str());
    assert_eq!(metadata.body["token_endpoint"], stack.url("/oauth2/token"));
    assert_eq!(metadata.body["jwks_uri"], stack.url("/.well-known/jwks.json"));
    assert_eq!(
        metadata.body["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "private_key_jwt"])
    );

    // client_secret_basic with the imported (argon2id) secret: every granted scope.
    let (access, scope) = library_token(&stack, LEGACY_ID, LEGACY_SECRET, AuthType::BasicAuth, &[]).await.unwrap();
    let expected = "leerlingen:012345 leerlingen:54321 personeel:012345";
    assert_eq!(scope.as_deref(), Some(expected));
    let (claims, lifetime) = verified(&stack, &access).await;
    assert_eq!(claims.iss, stack.local.api_url);
    assert_eq!((claims.sub.as_str(), claims.client_id.as_str()), (LEGACY_ID, LEGACY_ID));
    assert_eq!(claims.aud, portal::config::DEFAULT_TOKEN_AUDIENCE);
    assert_eq!(claims.scope, expected);
    assert_eq!(lifetime, 3600);
    assert_eq!(claims.jti.len(), 32);

    // client_secret_post, narrowed to one scope; asking for more than granted is invalid_scope.
    let (narrow, scope) =
        library_token(&stack, LEGACY_ID, LEGACY_SECRET, AuthType::RequestBody, &["leerlingen:54321"]).await.unwrap();
    assert_eq!(scope.as_deref(), Some("leerlingen:54321"));
    assert_eq!(verified(&stack, &narrow).await.0.scope, "leerlingen:54321");
    let more = library_token(&stack, LEGACY_ID, LEGACY_SECRET, AuthType::RequestBody, &["rekeningen:012345"]).await;
    assert_eq!(error_of(more.unwrap_err()), BasicErrorResponseType::InvalidScope);

    // Wrong client id or secret: 400 invalid_client, 401 with a Basic challenge after Basic.
    let wrong = library_token(&stack, LEGACY_ID, "fout", AuthType::RequestBody, &[]).await;
    assert_eq!(error_of(wrong.unwrap_err()), BasicErrorResponseType::InvalidClient);
    let unknown =
        raw_token(&stack, &[("grant_type", "client_credentials")], Some(("bestaat_niet", LEGACY_SECRET))).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["error"], "invalid_client");
    assert!(unknown.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let post = raw_token(
        &stack,
        &[("grant_type", "client_credentials"), ("client_id", "bestaat_niet"), ("client_secret", "x")],
        None,
    )
    .await;
    assert_eq!((post.status, post.body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_client")));
    let grant = raw_token(
        &stack,
        &[("grant_type", "password"), ("client_id", LEGACY_ID), ("client_secret", LEGACY_SECRET)],
        None,
    )
    .await;
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    let twice = raw_token(
        &stack,
        &[("grant_type", "client_credentials"), ("client_secret", LEGACY_SECRET)],
        Some((LEGACY_ID, LEGACY_SECRET)),
    )
    .await;
    assert_eq!(twice.body["error"], "invalid_request", "two ways of authenticating at once");

    // A generated secret replaces the imported one at once (no grace): the old one is "een oud secret".
    let rotated = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
    let secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    let old = library_token(&stack, LEGACY_ID, LEGACY_SECRET, AuthType::BasicAuth, &[]).await;
    assert_eq!(error_of(old.unwrap_err()), BasicErrorResponseType::InvalidClient);
    let (fresh, _) = library_token(&stack, LEGACY_ID, &secret, AuthType::BasicAuth, &[]).await.unwrap();
    assert_ne!(verified(&stack, &fresh).await.0.jti, claims.jti, "every token has its own jti");

    // Unchecking an API removes its scopes: the next token no longer has them.
    let app = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    let mut edit = application_input("Lessenplanner", &["leerlingen"]);
    edit["version"] = app.body["version"].clone();
    assert_eq!(app.body["apis"], json!(["leerlingen", "personeel"]), "linking took the APIs from the scopes");
    let saved = stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let (_, scope) = library_token(&stack, LEGACY_ID, &secret, AuthType::RequestBody, &[]).await.unwrap();
    assert_eq!(scope.as_deref(), Some("leerlingen:012345 leerlingen:54321"));

    // Archived by Informat: the client stops working at once.
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let archived = stack.call("POST", &format!("/admin/applications/{id}/archive"), &moderator, None).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    let after = raw_token(&stack, &[("grant_type", "client_credentials")], Some((LEGACY_ID, &secret))).await;
    assert_eq!((after.status, after.body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

#[tokio::test]
async fn an_approved_application_without_grants_gets_no_token_and_new_ones_have_no_client() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("nieuw@voorbeeld.be", "Nieuw BV").await;
    let created = stack.call("POST", "/applications", &token, Some(application_input("Nieuw", &["leerlingen"]))).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    // New: no client id, so no credentials and no keys either.
    assert_eq!(created.body["client_id"], Value::Null);
    let secret = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    assert_eq!(secret.problem_code(), "application_not_approved");
    let keys = stack.call("PUT", &format!("/applications/{id}/jwks"), &token, Some(json!({"keys": []}))).await;
    assert_eq!(keys.problem_code(), "application_not_approved");

    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    let client_id = approved.body["client_id"].as_str().unwrap().to_owned();
    let secret = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    let secret = secret.body["client_secret"].as_str().unwrap().to_owned();
    let none = library_token(&stack, &client_id, &secret, AuthType::BasicAuth, &[]).await;
    let RequestTokenError::ServerResponse(response) = none.unwrap_err() else { panic!("an OAuth2 answer") };
    assert_eq!(*response.error(), BasicErrorResponseType::InvalidScope, "approved, but no school granted anything yet");
    assert!(response.error_description().unwrap().contains("school"));
}

// ------------------------------------------------------------------ private_key_jwt

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
}

fn signing_key() -> p256::ecdsa::SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).unwrap();
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

fn public_jwk(key: &p256::ecdsa::SigningKey, kid: &str) -> Value {
    let mut jwk = serde_json::to_value(JsonWebKey::from(key.verifying_key())).unwrap();
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    jwk
}

fn jti() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An ES256 client assertion signed by `key`, valid for `valid_for` (negative: already expired).
fn assertion(key: &p256::ecdsa::SigningKey, kid: &str, client_id: &str, aud: &str, valid_for: Duration) -> String {
    let mut claims = Claims::new(AssertionClaims { iss: client_id, sub: client_id, aud, jti: jti() });
    let now = chrono::Utc::now();
    claims.issued_at = Some(now.min(now + valid_for));
    claims.expiration = Some(now + valid_for);
    Es256.token(&Header::empty().with_key_id(kid), &claims, key).unwrap()
}

async fn jwt_token(stack: &Stack, assertion: &str) -> Answer {
    raw_token(
        stack,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

fn refused(answer: &Answer, why: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{why}: {}", answer.body);
    assert_eq!(answer.body["error"], "invalid_client", "{why}: {}", answer.body);
}

#[tokio::test]
async fn private_key_jwt_accepts_a_fresh_assertion_once_and_nothing_else() {
    let stack = Stack::start().await;
    let (token, id) = linked(&stack).await;
    let key = signing_key();
    let path = format!("/applications/{id}/jwks");

    // Registering keys: private keys and small ones are refused and change nothing.
    let private = json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM", "d": "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}]});
    let answer = stack.call("PUT", &path, &token, Some(private)).await;
    assert_eq!(answer.problem_code(), "invalid_jwks");
    assert!(answer.body["detail"].as_str().unwrap().contains("publieke sleutel"), "{}", answer.body);
    let answer = stack.call("PUT", &path, &token, Some(json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}))).await;
    assert_eq!(answer.problem_code(), "invalid_jwks");
    // The account and the id index together, then the application, its profile and its client
    // together, the write and the mail (issue 16).
    stack.local.aws_requests.take();
    let registered = stack.call("PUT", &path, &token, Some(json!({"keys": [public_jwk(&key, "k1")]}))).await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    crate::applications::assert_round_trips(&stack, 5, 4);
    assert_eq!(registered.body["keys"][0]["kid"], "k1");
    assert!(registered.body["keys"][0].get("d").is_none());
    let logs = stack.call("GET", &format!("/applications/{id}/logs"), &token, None).await;
    assert_eq!(logs.body["items"][0]["property"], "Publieke sleutels (JWKS)", "{}", logs.body);
    assert_eq!(logs.body["items"][0]["to"], "EC P-256 (k1)");

    // A fresh assertion for the token endpoint (or the issuer) gets a token, once.
    let endpoint = stack.url("/oauth2/token");
    let good = assertion(&key, "k1", LEGACY_ID, &endpoint, Duration::minutes(2));
    let issued = jwt_token(&stack, &good).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    assert_eq!(issued.body["token_type"], "Bearer");
    assert_eq!(issued.headers["pragma"], "no-cache");
    assert!(issued.body.get("refresh_token").is_none());
    assert_eq!(verified(&stack, issued.body["access_token"].as_str().unwrap()).await.0.sub, LEGACY_ID);
    refused(&jwt_token(&stack, &good).await, "replay of the same jti");
    let to_issuer = assertion(&key, "k1", LEGACY_ID, &stack.local.api_url, Duration::minutes(2));
    assert_eq!(jwt_token(&stack, &to_issuer).await.status, StatusCode::OK, "aud = the issuer");

    // Everything else is invalid_client.
    let other = signing_key();
    refused(
        &jwt_token(&stack, &assertion(&other, "k1", LEGACY_ID, &endpoint, Duration::minutes(2))).await,
        "wrong key",
    );
    refused(&jwt_token(&stack, &assertion(&key, "k1", LEGACY_ID, &endpoint, Duration::minutes(-2))).await, "expired");
    refused(
        &jwt_token(&stack, &assertion(&key, "k1", LEGACY_ID, "https://elders.example", Duration::minutes(2))).await,
        "wrong audience",
    );
    refused(&jwt_token(&stack, &assertion(&key, "k1", LEGACY_ID, &endpoint, Duration::hours(2))).await, "exp far away");
    refused(
        &jwt_token(&stack, &assertion(&key, "k2", LEGACY_ID, &endpoint, Duration::minutes(2))).await,
        "unknown kid",
    );
    let claims = json!({"iss": LEGACY_ID, "sub": LEGACY_ID, "aud": endpoint, "jti": jti(), "exp": chrono::Utc::now().timestamp() + 60});
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    refused(&jwt_token(&stack, &unsigned).await, "alg none");
    // HS256 with the public key as the HMAC secret (the classic key-confusion attack), forged
    // with jsonwebtoken here; the portal must not even try HMAC.
    let forged_claims = json!({"iss": LEGACY_ID, "sub": LEGACY_ID, "aud": endpoint, "jti": jti(), "exp": chrono::Utc::now().timestamp() + 60});
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some("k1".into());
    let public = public_jwk(&key, "k1").to_string();
    let forged =
        jsonwebtoken::encode(&hs, &forged_claims, &jsonwebtoken::EncodingKey::from_secret(public.as_bytes())).unwrap();
    refused(&jwt_token(&stack, &forged).await, "HS256 with the public key");
    // iss and sub must both be the client.
    let claims = Claims::new(AssertionClaims { iss: "iemand_anders", sub: LEGACY_ID, aud: &endpoint, jti: jti() })
        .set_duration_and_issuance(&TimeOptions::default(), Duration::minutes(2));
    refused(
        &jwt_token(&stack, &Es256.token(&Header::empty().with_key_id("k1"), &claims, &key).unwrap()).await,
        "iss is not the client",
    );

    // Removing the keys turns the method off.
    let removed = stack.call("PUT", &path, &token, Some(json!({"keys": []}))).await;
    assert_eq!(removed.status, StatusCode::OK);
    refused(
        &jwt_token(&stack, &assertion(&key, "k1", LEGACY_ID, &endpoint, Duration::minutes(2))).await,
        "no keys left",
    );
    // And another partner cannot register keys for this application.
    let (stranger, _) = stack.partner("ander@voorbeeld.be", "Ander BV").await;
    let answer = stack.call("PUT", &path, &stranger, Some(json!({"keys": [public_jwk(&other, "x")]}))).await;
    assert_eq!((answer.status, answer.problem_code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn failed_client_authentication_is_throttled_per_client_id() {
    let stack = Stack::start().await;
    let (token, id) = linked(&stack).await;
    for attempt in 1..=portal::operations::tokens::MAX_FAILURES {
        let answer = raw_token(&stack, &[("grant_type", "client_credentials")], Some((LEGACY_ID, "raden"))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Throttled: wrong and right imported secrets alike get 429 without being checked.
    for secret in ["raden", LEGACY_SECRET] {
        let answer = raw_token(&stack, &[("grant_type", "client_credentials")], Some((LEGACY_ID, secret))).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{}", answer.body);
        assert_eq!(answer.body["error"], "invalid_client");
        let retry: i64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
    }
    // A generated secret cannot be guessed, so its owner keeps working meanwhile.
    let rotated = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    let secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    let ok = raw_token(&stack, &[("grant_type", "client_credentials")], Some((LEGACY_ID, &secret))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // ... and a success ends the run of failures.
    let wrong = raw_token(&stack, &[("grant_type", "client_credentials")], Some((LEGACY_ID, "raden"))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // Another client id is counted on its own.
    let other = raw_token(&stack, &[("grant_type", "client_credentials")], Some(("bestaat_niet", "x"))).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    let basic_garbage = stack
        .send(
            stack
                .http
                .post(stack.url("/oauth2/token"))
                .header("authorization", format!("Basic {}", STANDARD.encode("zonder-dubbelpunt")))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!(
        (basic_garbage.status, basic_garbage.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn a_token_costs_one_query_and_an_unlinked_client_gets_none() {
    let stack = Stack::start().await;
    let (token, id) = linked(&stack).await;
    let rotated = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    let secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    // The handler as Lambda calls it, with the stack's clients, whose requests are counted.
    let (deps, requests) = (&stack.local.deps, &stack.local.aws_requests);
    let event: Value = serde_json::from_str(include_str!("../events/create_token.json")).unwrap();
    let request = |id: &str, secret: &str| {
        let mut event = event.clone();
        event["headers"]["authorization"] = json!(format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
        event["body"] = json!("grant_type=client_credentials");
        // As the distribution sends it.
        if let Some(secret) = &deps.config.origin_verify_secret {
            event["headers"]["x-origin-verify"] = json!(secret.expose());
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    requests.take();
    let ok = portal_functions::Operation::CreateToken.handle(deps, request(LEGACY_ID, &secret)).await;
    assert_eq!(ok.status(), 200, "{:?}", ok.body());
    assert_eq!(dynamodb_requests(requests.take()), one_query(), "one Query: the client and its failure count");
    let wrong = portal_functions::Operation::CreateToken.handle(deps, request(LEGACY_ID, "fout")).await;
    assert_eq!(wrong.status(), 401);
    // The Query, then the count: an update that finds no open window, and a new window.
    assert_eq!(dynamodb_requests(requests.take()).values().sum::<usize>(), 3, "a failure is counted");

    // An imported client nobody linked is not an approved application's: invalid_client.
    stack
        .legacy_client(
            json!({"client_id": "niet_gekoppeld", "client_secret": "Los-Geheim", "scopes": ["leerlingen:012345"]}),
        )
        .await;
    let unlinked =
        raw_token(&stack, &[("grant_type", "client_credentials")], Some(("niet_gekoppeld", "Los-Geheim"))).await;
    assert_eq!((unlinked.status, unlinked.body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

/// Issue 22 item 5: the application's view shows the registered keys (type, curve, RFC 7638
/// thumbprint, when added); a key that stays in a later PUT keeps its time, leaving one out
/// removes it; another partner's application stays 404; a private key gets a Dutch sentence.
#[tokio::test]
async fn registered_keys_show_their_thumbprint_and_time_and_one_can_be_removed() {
    let stack = Stack::start().await;
    let (token, id) = linked(&stack).await;
    let (first, second) = (signing_key(), signing_key());
    let path = format!("/applications/{id}/jwks");
    let thumbprint = |key: &p256::ecdsa::SigningKey| {
        URL_SAFE_NO_PAD.encode(JsonWebKey::from(key.verifying_key()).thumbprint::<sha2_jwt::Sha256>())
    };

    let app = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert_eq!(app.body["keys"], json!([]), "no keys yet: {}", app.body);
    let one = stack.call("PUT", &path, &token, Some(json!({"keys": [public_jwk(&first, "k1")]}))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let added = one.body["keys"][0]["added_at"].as_str().expect("a time").to_owned();
    assert_eq!(one.body["keys"][0]["thumbprint"], thumbprint(&first));

    let two = json!({"keys": [public_jwk(&first, "k1"), public_jwk(&second, "k2")]});
    assert_eq!(stack.call("PUT", &path, &token, Some(two)).await.status, StatusCode::OK);
    let app = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert_eq!(app.status, StatusCode::OK);
    let keys = app.body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2, "{}", app.body);
    assert_eq!((&keys[0]["kid"], &keys[0]["kty"], &keys[0]["crv"]), (&json!("k1"), &json!("EC"), &json!("P-256")));
    assert_eq!(keys[0]["thumbprint"], thumbprint(&first));
    assert_eq!(keys[0]["added_at"], added.as_str(), "a key that stays keeps its time");
    assert_eq!(keys[1]["thumbprint"], thumbprint(&second));
    assert!(keys[1]["added_at"].as_str().expect("a time") >= added.as_str());
    assert!(keys[0].get("d").is_none());
    assert_eq!(app.body["name"], "Lessenplanner", "still the Application");

    // Another partner sees and changes nothing of it.
    let (other, _) = stack.partner("ander@voorbeeld.be", "Ander BV").await;
    assert_eq!(stack.call("GET", &format!("/applications/{id}"), &other, None).await.status, StatusCode::NOT_FOUND);
    let theirs = stack.call("PUT", &path, &other, Some(json!({"keys": []}))).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // Removing the first: the set without it, as the page sends it (the members it got back).
    let mut remaining = keys[1].clone();
    for member in ["thumbprint", "added_at"] {
        remaining.as_object_mut().unwrap().remove(member);
    }
    let removed = stack.call("PUT", &path, &token, Some(json!({"keys": [remaining]}))).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let app = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert_eq!(app.body["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.body["keys"][0]["kid"], "k2");
    assert_eq!(app.body["keys"][0]["added_at"], keys[1]["added_at"]);

    let mut private = public_jwk(&first, "k3");
    private["d"] = json!(URL_SAFE_NO_PAD.encode(first.to_bytes()));
    let refused = stack.call("PUT", &path, &token, Some(json!({"keys": [private]}))).await;
    assert_eq!(refused.problem_code(), "invalid_jwks");
    assert_eq!(
        refused.body["detail"],
        "Dit is een private sleutel: registreer alleen de publieke sleutel (zonder \"d\"). Houd de private sleutel bij jezelf."
    );
}
