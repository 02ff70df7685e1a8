//! The sample events in events/ are real API Gateway HTTP API payload 2.0 events: each parses as
//! lambda_http parses what Lambda delivers, names a served route, and its handler answers it
//! (against a private emulator) with a contract answer, never a 5xx.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use portal_e2e::Stack;
use portal_functions::{ROUTES, SCHEDULED, Scheduled};

#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    let stack = Stack::start().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut seen = Vec::new();
    for route in ROUTES {
        let name = route.operation.name();
        let path = dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("no sample event for {name}: {e}"));
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(event["routeKey"], format!("{} {}", route.method, route.path), "{name}");
        // As the distribution sends it: with its X-Origin-Verify.
        let mut event = event;
        if let Some(secret) = &stack.local.deps.config.origin_verify_secret {
            event["headers"]["x-origin-verify"] = serde_json::Value::String(secret.expose().to_owned());
        }
        // A school administrator's ID token names Informat's issuer: here the stack's stand-in.
        if route.auth == portal_functions::Auth::SchoolAdmin {
            let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
            assert_eq!(claims["iss"], "https://login.informat.example", "{name}: an Informat ID token's claims");
            claims["iss"] = serde_json::Value::String(stack.local.informat.issuer.clone());
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let response = route.operation.handle(&stack.local.deps, request).await;
        let status = response.status().as_u16();
        assert!(status < 500, "{name} answered {status}: {:?}", response.body());
        if status >= 400 && name == "create_token" {
            // The token endpoint answers as RFC 6749 §5.2 says, not with a problem.
            assert_eq!(response.headers()["content-type"], "application/json", "{name}");
        } else if status >= 400 {
            assert_eq!(response.headers()["content-type"], "application/problem+json", "{name}");
        }
        seen.push((name, status));
    }
    // The samples are chosen to exercise a real path: a new registration is accepted, an
    // unknown token is refused, and a valid-looking session of an unknown account is no session.
    assert!(seen.contains(&("create_account", 202)), "{seen:?}");
    assert!(seen.contains(&("activate_account", 400)), "{seen:?}");
    assert!(seen.contains(&("get_me", 401)), "{seen:?}");
    assert!(seen.contains(&("create_token", 401)), "an unknown client over Basic: {seen:?}");
    assert!(seen.contains(&("get_jwks", 200)), "{seen:?}");
    // The administrator's rights come from the rights claim: its school's list opens.
    assert!(seen.contains(&("list_school_applications", 200)), "{seen:?}");
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(files, ROUTES.len() + SCHEDULED.len(), "events/ has samples for routes that do not exist");
}

/// Issue 21: a request that did not come through the distribution (no or a wrong
/// X-Origin-Verify: a caller of the API's own address) is refused before any operation runs;
/// the local gateway, like the distribution, sends the header with every request.
#[tokio::test]
async fn a_request_without_the_distributions_secret_is_refused() {
    let stack = Stack::start().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let text = std::fs::read_to_string(dir.join("list_categories.json")).unwrap();
    let route = ROUTES.iter().find(|r| r.operation.name() == "list_categories").unwrap();
    let secret = stack.local.deps.config.origin_verify_secret.clone().expect("the local stack has a secret");
    for sent in [None, Some("geraden"), Some(&secret.expose()[1..])] {
        let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Some(sent) = sent {
            event["headers"]["x-origin-verify"] = serde_json::Value::String(sent.to_owned());
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = route.operation.handle(&stack.local.deps, request).await;
        assert_eq!(response.status().as_u16(), 403, "{sent:?}");
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body["code"], "forbidden", "{body}");
    }
    let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
    event["headers"]["x-origin-verify"] = serde_json::Value::String(secret.expose().to_owned());
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    assert_eq!(route.operation.handle(&stack.local.deps, request).await.status().as_u16(), 200);
    // Over HTTP the local gateway adds it, replacing a value the client sends.
    let answer = stack.send(stack.http.get(stack.url("/categories")).header("x-origin-verify", "geraden")).await;
    assert_eq!(answer.status, reqwest::StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn the_schedule_event_runs_the_expiry_job() {
    let stack = Stack::start().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/expire_access_requests.json");
    let event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(event["detail-type"], "Scheduled Event");
    let run = Scheduled::ExpireAccessRequests.handle(&stack.local.deps, event.clone()).await.unwrap();
    assert_eq!(run, serde_json::json!({"read": 0, "expired": 0}), "nothing stored, nothing read");
    let mut no_time = event;
    no_time.as_object_mut().unwrap().remove("time");
    assert!(Scheduled::ExpireAccessRequests.handle(&stack.local.deps, no_time).await.is_err());
}
