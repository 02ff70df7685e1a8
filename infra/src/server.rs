//! The local HTTP API: every route of [`portal_functions::ROUTES`] served in process as API
//! Gateway would (payload 2.0, path parameters, JWT authorizer, CORS), plus the `/_local/` routes.
//! Every answer then gets the headers the CloudFront distribution in front of the API adds in
//! AWS (template.yaml, `ApiResponseHeaders`): `X-Content-Type-Options: nosniff` always, and
//! `Cache-Control: no-store` when the answer says nothing about caching.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portal_functions::{ROUTES, Route};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::Instrument as _;

use crate::authorizer::Claims;
use crate::state::{AppState, local_problem};

/// API Gateway HTTP APIs accept payloads up to 10 MB.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/_local/stack", get(stack))
        .route("/_local/mails", get(mails))
        .route("/_local/aws-requests", get(aws_requests))
        .route("/_local/clock", post(clock))
        .route("/_local/staff-users", post(crate::staff::create_staff_user))
        .route("/_local/school-admins", post(crate::staff::create_school_admin))
        .route("/_local/legacy-clients", post(legacy_clients))
        .route("/_local/run/expire-access-requests", post(expire_access_requests))
        .fallback(api)
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state)
}

/// What every answer gets on its way out: CORS for the front end's origins ([`crate::cors`]), and
/// the headers of the distribution's response-headers policy (module documentation).
async fn edge(State(state): State<Arc<AppState>>, request: axum::extract::Request, next: Next) -> Response {
    // A preflight of a path that is no route gets the gateway's 404 (`api`), not a CORS answer.
    let cors = request.method() != Method::OPTIONS || is_route(request.uri().path());
    let mut response = if cors { state.cors.serve(request, next).await } else { next.run(request).await };
    let headers = response.headers_mut();
    // Every answer varies by origin, not only those the CORS layer saw.
    headers.insert(header::VARY, HeaderValue::from_static("origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The names of every route the local stack serves, `METHOD /path`, `/_local/` ones excluded.
pub fn served_routes() -> Vec<String> {
    ROUTES.iter().map(|r| format!("{} {}", r.method, r.path)).collect()
}

async fn stack(State(state): State<Arc<AppState>>) -> Response {
    let r = &state.resources;
    axum::Json(json!({
        "aws_endpoint": state.aws_endpoint,
        "region": r.region,
        "table": r.table,
        "partner_user_pool_id": r.partner_user_pool_id,
        "partner_client_id": r.partner_client_id,
        "staff_user_pool_id": r.staff_user_pool_id,
        "staff_client_id": r.staff_client_id,
        "logo_bucket": r.logo_bucket,
        "signing_key_id": r.signing_key_id,
        "portal_url": state.deps.config.portal_url,
        "backoffice_url": state.deps.config.backoffice_url,
        "informat_issuer": state.informat.issuer,
        "now": portal::ports::Clock::now(state.clock.as_ref()),
    }))
    .into_response()
}

/// `GET /_local/aws-requests`: the AWS requests the handlers sent since the last call, by
/// `Service.Operation` (every attempt, retries included); counting starts anew.
async fn aws_requests(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(state.aws_requests.take()).into_response()
}

async fn mails(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(json!({ "items": state.mails.sent() })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    advance_seconds: i64,
}

async fn clock(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<ClockBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match body {
        Ok(axum::Json(ClockBody { advance_seconds })) if advance_seconds >= 0 => {
            let now = state.clock.advance(advance_seconds);
            axum::Json(json!({ "now": now })).into_response()
        }
        _ => local_problem(StatusCode::BAD_REQUEST, "Stuur {\"advance_seconds\": <aantal seconden, 0 of meer>}."),
    }
}

/// `POST /_local/run/expire-access-requests`: the scheduled function, now, with the stack's
/// clock as the event's time (the event EventBridge would send).
async fn expire_access_requests(State(state): State<Arc<AppState>>) -> Response {
    let now = portal::ports::Clock::now(state.clock.as_ref());
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": state.resources.region,
        "resources": [],
        "detail": {},
    });
    match portal_functions::Scheduled::ExpireAccessRequests.handle(&state.deps, event).await {
        Ok(run) => axum::Json(run).into_response(),
        Err(e) => local_problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `POST /_local/legacy-clients`: an existing client, loaded as `import-clients` loads it.
async fn legacy_clients(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<portal::operations::legacy::LegacyClient>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(entry)) = body else {
        return local_problem(
            StatusCode::BAD_REQUEST,
            "Stuur {\"client_id\", \"client_secret\" (of \"client_secret_hash\"), \"scopes\": [\"leerlingen:012345\"], \"inactive_scopes\": []}.",
        );
    };
    let now = portal::ports::Clock::now(state.clock.as_ref());
    match portal::operations::legacy::import(state.deps.applications.as_ref(), std::slice::from_ref(&entry), false, now)
        .await
    {
        Ok(report) if report.refused.is_empty() => (StatusCode::CREATED, axum::Json(report)).into_response(),
        Ok(report) => local_problem(StatusCode::BAD_REQUEST, &report.refused[0].1),
        Err(e) => local_problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// What API Gateway answers itself (no route, failed authorizer): its own fixed bodies.
fn gateway(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], json!({ "message": message }).to_string()).into_response()
}

fn find(method: &str, path: &str) -> Option<(&'static Route, Vec<(String, String)>)> {
    ROUTES.iter().find_map(|r| r.matches(method, path).map(|params| (r, params)))
}

async fn api(
    State(state): State<Arc<AppState>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(Peer(peer.ip()));
    if parts.method == Method::OPTIONS {
        return preflight(parts.uri.path());
    }
    match axum::body::to_bytes(body, MAX_PAYLOAD).await {
        Ok(bytes) => invoke(&state, &parts, &bytes).await,
        Err(_) => gateway(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    }
}

/// Whether `path` is that of one of the API's routes (any method).
fn is_route(path: &str) -> bool {
    ROUTES.iter().any(|r| r.matches(r.method, path).is_some())
}

/// A preflight the CORS layer did not answer ([`crate::cors::Cors::serve`]): the gateway's 404
/// for a path that is no route, and for an origin that is not the front end's an empty 204,
/// without CORS headers, as API Gateway answers it.
fn preflight(path: &str) -> Response {
    if is_route(path) { StatusCode::NO_CONTENT.into_response() } else { gateway(StatusCode::NOT_FOUND, "Not Found") }
}

async fn invoke(state: &AppState, parts: &axum::http::request::Parts, body: &[u8]) -> Response {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let Some((route, params)) = find(method, path) else {
        return gateway(StatusCode::NOT_FOUND, "Not Found");
    };
    let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(claims) = state.authorizer.authorize(route.auth, authorization) else {
        let mut response = gateway(StatusCode::UNAUTHORIZED, "Unauthorized");
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut event = payload(route, parts, &params, body, claims, &request_id);
    if let Some(Peer(ip)) = parts.extensions.get::<Peer>() {
        event["requestContext"]["http"]["sourceIp"] = Value::String(ip.to_string());
    }
    // The distribution's origin header, which replaces whatever a client sent under that name.
    if let Some(secret) = &state.deps.config.origin_verify_secret {
        event["headers"][portal::http::ORIGIN_VERIFY_HEADER] = Value::String(secret.expose().to_owned());
    }
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(e) => return local_problem(StatusCode::INTERNAL_SERVER_ERROR, &format!("payload 2.0 did not parse: {e}")),
    };
    let span = tracing::info_span!("handler", function = %route.operation.name(), request_id = %request_id);
    let response = route.operation.handle(&state.deps, request).instrument(span).await;
    let (parts, body) = response.into_parts();
    let mut out = Response::new(axum::body::Body::from(body.as_ref().to_vec()));
    *out.status_mut() = parts.status;
    *out.headers_mut() = parts.headers;
    out.headers_mut()
        .insert("apigw-requestid", HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("local")));
    out
}

/// The TCP peer of a request: API Gateway's `sourceIp`.
#[derive(Clone, Copy)]
struct Peer(std::net::IpAddr);

fn is_text(headers: &HeaderMap) -> bool {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    content_type.is_empty()
        || content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.starts_with("application/x-www-form-urlencoded")
}

/// The API Gateway HTTP API payload 2.0 event for this request.
pub fn payload(
    route: &Route,
    parts: &axum::http::request::Parts,
    params: &[(String, String)],
    body: &[u8],
    claims: Claims,
    request_id: &str,
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let Ok(value) = value.to_str() else { continue };
        if name == header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert_with(|| v.into_owned());
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) if is_text(&parts.headers) => (text.to_owned(), false),
        _ => (STANDARD.encode(body), true),
    };
    let now = chrono::Utc::now();
    let route_key = format!("{} {}", route.method, route.path);
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host").cloned().unwrap_or_else(|| "localhost".into()),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": encoded,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    }
    if !body.is_empty() {
        event["body"] = Value::String(body);
    }
    if route.auth != portal_functions::Auth::Public {
        event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
    }
    event
}
