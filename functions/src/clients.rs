//! Existing clients in the back office (api.md "Back office: moderators"): what a client holds,
//! and removing the scopes of inactive access groups that keep it from being linked.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::Deps;
use portal::domain::{ApplicationId, Client, ClientId};
use portal::http::{HttpResult, json, moderator};
use portal::operations::clients;
use serde::Serialize;

use crate::path_param;

/// `{client_id, application_id, scopes, blocked_scopes}` of api.md.
#[derive(Serialize)]
struct ClientView<'a> {
    client_id: &'a ClientId,
    application_id: Option<&'a ApplicationId>,
    scopes: Vec<String>,
    blocked_scopes: &'a [String],
}

impl<'a> From<&'a Client> for ClientView<'a> {
    fn from(client: &'a Client) -> Self {
        Self {
            client_id: &client.id,
            application_id: client.application_id.as_ref(),
            scopes: client.scopes.iter().map(ToString::to_string).collect(),
            blocked_scopes: &client.blocked_scopes,
        }
    }
}

/// GET /admin/clients/{client_id}
pub async fn get_admin_client(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    json(StatusCode::OK, &ClientView::from(&clients::get_admin_client(deps, &path_param(&req, "client_id")).await?))
}

/// DELETE /admin/clients/{client_id}/blocked-scopes
pub async fn remove_blocked_scopes(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    json(
        StatusCode::OK,
        &ClientView::from(&clients::remove_blocked_scopes(deps, &path_param(&req, "client_id")).await?),
    )
}
