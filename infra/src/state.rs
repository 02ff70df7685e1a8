//! What the local API's handlers share: the stack's state, and the problem answer of the
//! `/_local/` routes (those of [`crate::server`] and [`crate::staff`]).

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal::Deps;
use serde_json::json;

use crate::authorizer::Authorizer;
use crate::local::{OffsetClock, RecordingMailer};
use crate::provision::Resources;

pub struct AppState {
    pub deps: Arc<Deps>,
    pub authorizer: Authorizer,
    pub resources: Resources,
    pub aws_endpoint: String,
    pub mails: Arc<RecordingMailer>,
    pub clock: Arc<OffsetClock>,
    pub sdk: portal::adapters::aws::SdkConfig,
    pub cors: crate::cors::Cors,
    /// Every AWS request the handlers sent, counted by the SDK clients' interceptor.
    pub aws_requests: portal::adapters::aws::AwsRequests,
    /// The stand-in for Informat's identity provider (POST /_local/school-admins adds users).
    pub informat: Arc<crate::idp::IdentityProvider>,
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
