//! Suspending a partner (api.md "Back office: moderators"): a moderator deactivates it, with a
//! reason the partner reads, or activates it; the answer is the partner's profile.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::Deps;
use portal::domain::text;
use portal::http::{HttpResult, json, json_body, moderator};
use portal::operations::suspension::{self, Activation};
use serde::Deserialize;

use crate::views::ProfileView;
use crate::{field, path_param};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeactivateBody {
    reason: Option<String>,
}

/// POST /admin/partners/{id}/deactivate: `{reason}` is required.
pub async fn deactivate_partner(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    let input: DeactivateBody = json_body(&req)?;
    let reason = text("reason", field(&input.reason), true, Activation::REASON_MAX)?;
    set_active(deps, &req, Activation::Deactivate { reason }).await
}

/// POST /admin/partners/{id}/activate
pub async fn activate_partner(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    set_active(deps, &req, Activation::Activate).await
}

async fn set_active(deps: &Deps, req: &Request, activation: Activation) -> HttpResult {
    let profile = suspension::set_partner_active(deps, &path_param(req, "id"), activation).await?;
    json(StatusCode::OK, &ProfileView::new(&deps.config, &profile))
}
