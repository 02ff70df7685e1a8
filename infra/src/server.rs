//! The local HTTP API: every route of [`portal_functions::ROUTES`] served in process as API
//! Gateway would (payload 2.0, path parameters, JWT authorizer, CORS), plus the `/_local/` routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portal::Deps;
use portal_functions::{ROUTES, Route};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::Instrument as _;

use crate::authorizer::{Authorizer, Claims};
use crate::local::{OffsetClock, RecordingMailer};
use crate::provision::Resources;

/// API Gateway HTTP APIs accept payloads up to 10 MB.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

pub struct AppState {
    pub deps: Arc<Deps>,
    pub authorizer: Authorizer,
    pub resources: Resources,
    pub aws_endpoint: String,
    pub mails: Arc<RecordingMailer>,
    pub clock: Arc<OffsetClock>,
    pub sdk: portal::adapters::aws::SdkConfig,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/_local/stack", get(stack))
        .route("/_local/mails", get(mails))
        .route("/_local/clock", post(clock))
        .route("/_local/staff-users", post(crate::staff::create_staff_user))
        .route("/_local/legacy-clients", post(legacy_clients))
        .route("/_local/run/expire-access-requests", post(expire_access_requests))
        .fallback(api)
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
        .with_state(state)
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
        "now": portal::ports::Clock::now(state.clock.as_ref()),
    }))
    .into_response()
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
    match portal_functions::schedule::expire_access_requests(&state.deps, event).await {
        Ok(run) => axum::Json(run).into_response(),
        Err(e) => local_problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `POST /_local/legacy-clients`: an existing client, loaded as `import-clients` loads it.
async fn legacy_clients(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<portal::legacy::LegacyClient>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(entry)) = body else {
        return local_problem(
            StatusCode::BAD_REQUEST,
            "Stuur {\"client_id\", \"client_secret\" (of \"client_secret_hash\"), \"scopes\": [\"leerlingen:012345\"], \"inactive_scopes\": []}.",
        );
    };
    let now = portal::ports::Clock::now(state.clock.as_ref());
    match portal::legacy::import(state.deps.applications.as_ref(), std::slice::from_ref(&entry), false, now).await {
        Ok(report) if report.refused.is_empty() => (StatusCode::CREATED, axum::Json(report)).into_response(),
        Ok(report) => local_problem(StatusCode::BAD_REQUEST, &report.refused[0].1),
        Err(e) => local_problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Errors of the `/_local/` routes, in the API's problem format.
pub fn local_problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "type": format!("{}invalid_request", portal::http::PROBLEM_BASE),
        "title": "Ongeldige aanvraag",
        "status": status.as_u16(),
        "code": if status.is_client_error() { "invalid_request" } else { "internal_error" },
        "detail": detail,
    });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
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
    let origin = parts.headers.get(header::ORIGIN).cloned();
    let path = parts.uri.path().to_owned();
    let response = if parts.method == Method::OPTIONS {
        preflight(&path)
    } else {
        match axum::body::to_bytes(body, MAX_PAYLOAD).await {
            Ok(bytes) => invoke(&state, &parts, &bytes).await,
            Err(_) => gateway(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        }
    };
    with_cors(response, origin)
}

fn preflight(path: &str) -> Response {
    let methods: Vec<&str> = ROUTES.iter().filter(|r| r.matches(r.method, path).is_some()).map(|r| r.method).collect();
    if methods.is_empty() {
        return gateway(StatusCode::NOT_FOUND, "Not Found");
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&methods.join(",")) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization,content-type"));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}

fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
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
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(e) => return local_problem(StatusCode::INTERNAL_SERVER_ERROR, &format!("payload 2.0 did not parse: {e}")),
    };
    let span = tracing::info_span!("handler", function = %route.operation.binary(), request_id = %request_id);
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
