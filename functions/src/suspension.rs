//! Suspending a partner (api.md "Back office: moderators"): a moderator deactivates or activates
//! it; the answer is the partner's profile.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::Deps;
use portal::http::{HttpResult, json, moderator};
use portal::suspension;

use crate::path_param;
use crate::profiles::ProfileView;

/// POST /admin/partners/{id}/deactivate
pub async fn deactivate_partner(deps: &Deps, req: Request) -> HttpResult {
    set_active(deps, req, false).await
}

/// POST /admin/partners/{id}/activate
pub async fn activate_partner(deps: &Deps, req: Request) -> HttpResult {
    set_active(deps, req, true).await
}

async fn set_active(deps: &Deps, req: Request, active: bool) -> HttpResult {
    moderator(&req)?;
    let profile = suspension::set_partner_active(deps, &path_param(&req, "id"), active).await?;
    json(StatusCode::OK, &ProfileView::new(&deps.config, &profile))
}
