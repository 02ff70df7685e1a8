//! The HTTP glue every function shares: body parsing with limits, the caller's identity from the
//! authorizer's claims, and responses, including the one mapping of [`AppError`] to
//! `application/problem+json` (RFC 9457).

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::domain::{AccountId, Caller};
use crate::error::AppError;

/// The largest JSON body the API reads (api.md).
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Where the problem `type` URIs live; each code has its own page in the API documentation.
pub const PROBLEM_BASE: &str = "https://partners.informatsoftware.be/problemen/";

pub type HttpResult = Result<Response<Body>, AppError>;

/// Reads a JSON body: the right content type, at most [`MAX_JSON_BODY`] bytes, and no field the
/// target type does not know (targets use `deny_unknown_fields`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(AppError::InvalidRequest(
            "Stuur de gegevens als JSON, met de header Content-Type: application/json.".into(),
        ));
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_JSON_BODY {
        return Err(AppError::PayloadTooLarge);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        AppError::InvalidRequest(format!("De aanvraag bevat geen geldige JSON of een onbekend veld ({e})."))
    })
}

/// The partner account that sent the request and when its token was issued, from the claims the
/// JWT authorizer verified (an access token of the partner pool: `token_use` = `access`). It is
/// a session only once [`crate::operations::accounts::signed_in`] has checked it against the account.
pub fn partner_account(req: &Request) -> Result<Caller, AppError> {
    let claims = jwt_claims(req).ok_or(AppError::Unauthorized)?;
    if claims.get("token_use").map(String::as_str) != Some("access") {
        return Err(AppError::Unauthorized);
    }
    let account = claims.get("sub").and_then(|sub| AccountId::parse(sub)).ok_or(AppError::Unauthorized)?;
    let issued_at = claims
        .get("iat")
        .and_then(|iat| iat.trim().parse::<i64>().ok())
        .and_then(|iat| chrono::DateTime::from_timestamp(iat, 0))
        .ok_or(AppError::Unauthorized)?;
    Ok(Caller { account, issued_at })
}

/// A moderator of Informat: an ID token of the staff pool whose `cognito:groups` holds
/// `moderators`. Another staff user is known but not allowed: 403.
pub fn moderator(req: &Request) -> Result<(), AppError> {
    let claims = jwt_claims(req).ok_or(AppError::Unauthorized)?;
    if claims.get("token_use").map(String::as_str) != Some("id") {
        return Err(AppError::Unauthorized);
    }
    let groups = claims.get("cognito:groups").map(String::as_str).unwrap_or_default();
    // API Gateway renders a list claim as "[a b]".
    let member =
        groups.trim_start_matches('[').trim_end_matches(']').split([' ', ',']).any(|g| g.trim() == "moderators");
    if member { Ok(()) } else { Err(AppError::Forbidden) }
}

/// A school administrator: an ID token of Informat's identity provider (issue 22), whose
/// signature, audience and expiry API Gateway's JWT authorizer checked. Its issuer is checked
/// here too, so a token of the portal's own pools is never a school administrator's, whatever
/// route it reaches. Its e-mail address and its rights are in the claims `idp` names (no
/// rights: it may grant nothing).
pub fn school_admin(req: &Request, idp: &crate::config::InformatIdp) -> Result<crate::domain::SchoolAdmin, AppError> {
    let claims = jwt_claims(req).ok_or(AppError::Unauthorized)?;
    let issuer = claims.get("iss").map(|iss| iss.trim_end_matches('/'));
    if issuer != Some(idp.issuer.as_str()) {
        return Err(AppError::Unauthorized);
    }
    let email = claims
        .get(&idp.email_claim)
        .and_then(|e| crate::domain::Email::parse("email", e).ok())
        .ok_or(AppError::Unauthorized)?;
    // API Gateway renders a list claim as "[a b]"; a string is space-separated.
    let rights = claims.get(&idp.rights_claim).map(|r| r.trim().trim_start_matches('[').trim_end_matches(']'));
    let rights = crate::domain::AdminRights::parse(rights.unwrap_or(""));
    Ok(crate::domain::SchoolAdmin { email, rights })
}

/// The header the CloudFront distribution (template.yaml) sends to the API with a secret value,
/// `ORIGIN_VERIFY_SECRET` in the functions' environment: proof that a request came through it.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The client's address and port, as the distribution saw them (`198.51.100.10:46532`).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The address of the client that sent the request: what per-source limits key on.
///
/// In AWS the API sits behind CloudFront, so `requestContext.http.sourceIp` is a CloudFront
/// address; the client's is in `CloudFront-Viewer-Address`. That header is believed only on a
/// request that carries the distribution's secret `X-Origin-Verify` (compared in constant time):
/// CloudFront replaces what a client sends in it, and a client that calls the execute-api
/// address directly, where it could send anything, cannot know the secret, so it gets its own
/// TCP address (`sourceIp`). Without a secret configured (the local stack) `sourceIp` is used.
pub fn source_address(req: &Request) -> Option<std::net::IpAddr> {
    static SECRET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let secret = SECRET.get_or_init(|| std::env::var("ORIGIN_VERIFY_SECRET").ok().filter(|s| !s.trim().is_empty()));
    source_address_with(req, secret.as_deref())
}

/// [`source_address`] with the secret given.
pub fn source_address_with(req: &Request, origin_secret: Option<&str>) -> Option<std::net::IpAddr> {
    use subtle::ConstantTimeEq as _;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let through_distribution = origin_secret
        .zip(header(ORIGIN_VERIFY_HEADER))
        .is_some_and(|(secret, sent)| bool::from(secret.as_bytes().ct_eq(sent.as_bytes())));
    if through_distribution {
        return header(VIEWER_ADDRESS_HEADER).and_then(viewer_ip);
    }
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}

/// Whether the request came through the distribution: when `ORIGIN_VERIFY_SECRET` is
/// configured, it carries the secret in `X-Origin-Verify`. A caller of the API's own address
/// (execute-api, or the origin domain, which DNS and certificate logs make public) cannot know
/// it, so it never bypasses the WAF and the distribution's headers (issue 21).
pub fn through_distribution(req: &Request, secret: Option<&crate::config::OriginSecret>) -> bool {
    let sent = req.headers().get(ORIGIN_VERIFY_HEADER).and_then(|v| v.to_str().ok());
    match secret {
        None => true,
        Some(secret) => sent.is_some_and(|sent| secret.matches(sent)),
    }
}

/// The answer to a request that did not come through the distribution.
pub fn not_through_distribution() -> Response<Body> {
    problem(&AppError::Denied {
        code: "forbidden",
        detail: "Deze API is alleen bereikbaar via haar publieke adres. Gebruik het adres uit de API-documentatie van het partnerportaal.".into(),
    })
}

/// The address in `CloudFront-Viewer-Address`: `ip:port`, the IPv6 address without brackets.
fn viewer_ip(value: &str) -> Option<std::net::IpAddr> {
    let value = value.trim();
    if let Ok(socket) = value.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    let (ip, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// A JSON body that may also be left out entirely (no body, no content type): then `T::default()`.
pub fn optional_json_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, AppError> {
    let body: &[u8] = req.body().as_ref();
    if body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { json_body(req) }
}

fn jwt_claims(req: &Request) -> Option<&std::collections::HashMap<String, String>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.as_ref()?.jwt.as_ref().map(|jwt| &jwt.claims),
        _ => None,
    }
}

/// A JSON response. Answers of this API are personal (tokens, profiles): not cached by default.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResult {
    let bytes =
        serde_json::to_vec(body).map_err(|e| AppError::invariant(format!("response did not serialise: {e}")))?;
    Ok(with_headers(status, "application/json", bytes))
}

/// Makes a public answer (the directory) cacheable by browsers and CDNs for `max_age_seconds`.
pub fn public_cache(mut response: Response<Body>, max_age_seconds: u32) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age_seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// Bytes of a known type (a logo), with the caching policy the caller chose.
pub fn bytes(content_type: &'static str, cache_control: &'static str, etag: &str, body: Vec<u8>) -> Response<Body> {
    let mut response = with_headers(StatusCode::OK, content_type, body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// 304 for a client that already holds the current version (`If-None-Match`).
pub fn not_modified(req: &Request, etag: &str, cache_control: &'static str) -> Option<Response<Body>> {
    let held = req.headers().get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let quoted = format!("\"{etag}\"");
    if !held.split(',').any(|tag| tag.trim().trim_start_matches("W/") == quoted || tag.trim() == "*") {
        return None;
    }
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&quoted) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Some(response)
}

pub fn no_content() -> HttpResult {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

fn with_headers(status: StatusCode, content_type: &'static str, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::Binary(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The one place an [`AppError`] becomes a response.
pub fn problem(err: &AppError) -> Response<Body> {
    let status = err.status();
    let mut body = json!({
        "type": format!("{PROBLEM_BASE}{}", err.code()),
        "title": err.title(),
        "status": status.as_u16(),
        "code": err.code(),
        "detail": err.detail(),
    });
    let fields = match err {
        AppError::Validation(errors) => Some(errors.as_slice()),
        AppError::Limited { field, .. } => Some(std::slice::from_ref(field)),
        _ => None,
    };
    if let Some(errors) = fields {
        body["errors"] =
            errors.iter().map(|e| json!({"field": e.field, "code": e.code, "message": e.message})).collect();
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"status":500,"code":"internal_error"}"#.to_vec());
    let mut response = with_headers(status, "application/problem+json", bytes);
    if let AppError::TooManyAttempts { retry_after_seconds } | AppError::Limited { retry_after_seconds, .. } = err
        && let Ok(value) = HeaderValue::from_str(&(*retry_after_seconds).max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The one place a refused token request becomes a response (RFC 6749 §5.2): JSON with `error`
/// and `error_description`, never cached. `invalid_client` after HTTP Basic is 401 with the
/// `WWW-Authenticate` challenge of that scheme; a throttled client gets 429 with `Retry-After`.
pub fn oauth_error(err: &crate::domain::OAuthError) -> Response<Body> {
    use crate::domain::OAuthErrorCode;
    let status = match (err.retry_after_seconds, err.code, err.basic) {
        (Some(_), _, _) => StatusCode::TOO_MANY_REQUESTS,
        (None, OAuthErrorCode::InvalidClient, true) => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({"error": err.code.as_str(), "error_description": err.description});
    let mut response = with_headers(status, "application/json", body.to_string().into_bytes());
    let headers = response.headers_mut();
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        headers
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Informat\", charset=\"UTF-8\""));
    }
    if let Some(value) = err.retry_after_seconds.and_then(|s| HeaderValue::from_str(&s.max(1).to_string()).ok()) {
        headers.insert(header::RETRY_AFTER, value);
    }
    response.extensions_mut().insert(Refusal { code: err.code.as_str() });
    response
}

/// Marks an answer that refuses the request without being an [`AppError`] (the token
/// endpoint's errors of RFC 6749), so that [`respond`] logs it as refused, with its code.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    code: &'static str,
}

/// Turns a handler's result into the response, and logs the outcome: expected failures at info
/// with their code (a refusal the handler answered itself, [`oauth_error`], too), our own
/// failures at error with their cause. Never an `Err` for the runtime, so API Gateway never
/// answers a 502 for something we know how to say. `Operation::handle` applies it once, to
/// every handler's result.
pub fn respond(result: HttpResult) -> Response<Body> {
    match result {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.extensions().get::<Refusal>() {
                Some(refusal) => {
                    tracing::info!(status, code = refusal.code, outcome = "refused", "request refused");
                }
                None => tracing::info!(status, outcome = "ok", "request served"),
            }
            response
        }
        Err(err) => {
            let status = err.status().as_u16();
            if let AppError::Internal(cause) = &err {
                tracing::error!(status, outcome = "failed", code = err.code(), error = %cause, "request failed");
            } else {
                tracing::info!(status, outcome = "refused", code = err.code(), "request refused");
            }
            problem(&err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        builder.body(Body::from(body.to_owned())).expect("request")
    }

    /// A request of the sample event for a school administrator's route, with `claims` as the
    /// authorizer verified them.
    fn with_claims(claims: serde_json::Value) -> Request {
        let mut event: serde_json::Value =
            serde_json::from_str(include_str!("../../events/list_school_applications.json")).expect("sample event");
        event["requestContext"]["authorizer"]["jwt"]["claims"] = claims;
        lambda_http::request::from_str(&event.to_string()).expect("event")
    }

    fn idp() -> crate::config::InformatIdp {
        crate::config::InformatIdp {
            issuer: "https://login.informat.example".into(),
            rights_claim: "informat_admin_scopes".into(),
            email_claim: "email".into(),
        }
    }

    #[test]
    fn a_school_administrator_is_read_from_informats_claims_only() {
        use crate::domain::{Api, Institution};
        let school = Institution::parse("012345").expect("institution");
        let claims = |iss: &str, rights: &str| json!({"iss": iss, "aud": "partnerportaal-beheer", "email": "ict@school.be", "informat_admin_scopes": rights});
        // A space-separated string, or a list as API Gateway renders it.
        for rights in ["leerlingen:012345 personeel:012345", "[leerlingen:012345 personeel:012345]"] {
            let admin =
                school_admin(&with_claims(claims("https://login.informat.example", rights)), &idp()).expect("admin");
            assert_eq!(admin.email.as_str(), "ict@school.be");
            assert!(admin.rights.allows(Api::Leerlingen, &school) && admin.rights.allows(Api::Personeel, &school));
            assert!(!admin.rights.allows(Api::Rekeningen, &school));
        }
        // Another issuer (a pool's token with rights in the same claim name): no administrator.
        let pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_StAfFpOoL";
        assert!(matches!(
            school_admin(&with_claims(claims(pool, "leerlingen:012345")), &idp()),
            Err(AppError::Unauthorized)
        ));
        // Rights in another claim than the configured one grant nothing.
        let elsewhere = json!({"iss": "https://login.informat.example", "email": "ict@school.be", "custom:admin_scopes": "leerlingen:012345"});
        let admin = school_admin(&with_claims(elsewhere), &idp()).expect("admin");
        assert!(!admin.rights.administers(&school));
        // No address: no administrator (the log must say who granted).
        let nameless = json!({"iss": "https://login.informat.example", "informat_admin_scopes": "leerlingen:012345"});
        assert!(matches!(school_admin(&with_claims(nameless), &idp()), Err(AppError::Unauthorized)));
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Input {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn parses_json_with_charset() {
        let req = request(Some("application/json; charset=utf-8"), r#"{"name":"x"}"#);
        assert!(json_body::<Input>(&req).is_ok());
    }

    #[test]
    fn refuses_wrong_type_unknown_fields_malformed_and_large() {
        let code = |r: Result<Input, AppError>| r.expect_err("refused").code();
        assert_eq!(code(json_body(&request(None, r#"{"name":"x"}"#))), "invalid_request");
        assert_eq!(code(json_body(&request(Some("text/plain"), r#"{"name":"x"}"#))), "invalid_request");
        assert_eq!(
            code(json_body(&request(Some("application/json"), r#"{"name":"x","admin":true}"#))),
            "invalid_request"
        );
        assert_eq!(code(json_body(&request(Some("application/json"), "{"))), "invalid_request");
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_JSON_BODY));
        assert_eq!(code(json_body(&request(Some("application/json"), &big))), "payload_too_large");
    }

    #[test]
    fn problem_has_the_contract_shape() {
        let err = AppError::Validation(vec![FieldError::new("email", "invalid_email", "Ongeldig.")]);
        let response = problem(&err);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).expect("json");
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["status"], 400);
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][0]["code"], "invalid_email");
        assert!(body["type"].as_str().is_some_and(|t| t.ends_with("/validation_failed")));
    }

    #[test]
    fn too_many_attempts_says_when_to_retry() {
        let response = problem(&AppError::TooManyAttempts { retry_after_seconds: 90 });
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "90");
    }

    fn from(source_ip: &str, headers: &[(&str, &str)]) -> Request {
        let mut headers_json = serde_json::Map::new();
        for (k, v) in headers {
            headers_json.insert((*k).to_owned(), json!(v));
        }
        let event = json!({
            "version": "2.0", "routeKey": "POST /sessions", "rawPath": "/sessions", "rawQueryString": "",
            "headers": headers_json,
            "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
                "http": {"method": "POST", "path": "/sessions", "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "t"},
                "requestId": "r", "routeKey": "POST /sessions", "stage": "$default", "time": "x", "timeEpoch": 0},
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("payload 2.0")
    }

    #[test]
    fn the_viewer_address_is_believed_only_with_the_distributions_secret() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
        let viewer = [("cloudfront-viewer-address", "198.51.100.10:46532"), ("x-origin-verify", "geheim")];
        assert_eq!(source_address_with(&from("130.176.1.1", &viewer), Some("geheim")), Some(ip("198.51.100.10")));
        let v6 = [("cloudfront-viewer-address", "2001:db8::7:443"), ("x-origin-verify", "geheim")];
        assert_eq!(source_address_with(&from("130.176.1.1", &v6), Some("geheim")), Some(ip("2001:db8::7")));
        // A forged header without the secret, or with a wrong one, or no secret configured.
        let forged = [("cloudfront-viewer-address", "203.0.113.9:1"), ("x-origin-verify", "gok")];
        assert_eq!(source_address_with(&from("192.0.2.5", &forged), Some("geheim")), Some(ip("192.0.2.5")));
        assert_eq!(source_address_with(&from("192.0.2.5", &forged[..1]), Some("geheim")), Some(ip("192.0.2.5")));
        assert_eq!(source_address_with(&from("192.0.2.5", &viewer), None), Some(ip("192.0.2.5")));
    }

    #[test]
    fn no_claims_is_unauthorized() {
        let req = request(Some("application/json"), "{}");
        assert_eq!(partner_account(&req).expect_err("no claims").code(), "unauthorized");
    }
}

/// Collects every field error of an input, so a person sees all of them at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<crate::domain::FieldError>);

impl Checks {
    /// Keeps the value, or records why it was refused.
    pub fn check<T>(&mut self, result: Result<T, crate::domain::FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub fn refuse(&mut self, error: crate::domain::FieldError) {
        self.0.push(error);
    }

    /// The checked values when nothing was refused, every refusal otherwise.
    pub fn finish<T>(self, values: Option<T>) -> Result<T, AppError> {
        match (self.0.is_empty(), values) {
            (true, Some(values)) => Ok(values),
            (true, None) => Err(AppError::invariant("a checked value is missing although no check failed")),
            (false, _) => Err(AppError::Validation(self.0)),
        }
    }
}

/// `?limit=` (default 50, 1 to 100) and `?cursor=` of a list (api.md conventions).
pub fn page_params(req: &Request) -> Result<(u32, Option<String>), AppError> {
    let query = req.query_string_parameters();
    let limit = match query.first("limit") {
        None => 50,
        Some(raw) => raw.trim().parse::<u32>().ok().filter(|l| (1..=100).contains(l)).ok_or_else(|| {
            AppError::Validation(vec![crate::domain::FieldError::new(
                "limit",
                "out_of_range",
                "Geef als limit een getal van 1 tot en met 100.",
            )])
        })?,
    };
    Ok((limit, query.first("cursor").filter(|c| !c.is_empty()).map(str::to_owned)))
}

/// A timestamp as the API writes it: RFC 3339, UTC, whole seconds.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
