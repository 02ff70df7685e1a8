//! Existing clients as Informat's moderators see them (api.md "Back office: moderators"). A client
//! imported from the existing registry may hold scopes of access groups that are no longer
//! active in Rekeningen; those block linking it (manual 4: "Laat scopes voor niet-actieve
//! toegangsgroepen in Rekeningen verwijderen door Informat"), and only a moderator removes them.

use crate::deps::Deps;
use crate::domain::{Change, Client, ClientId, INFORMAT, LogAction, LogEntry};
use crate::error::AppError;
use crate::operations::common::{Tries, written};
use crate::ports::Stale;

/// The log property of the removal.
pub const BLOCKED_SCOPES_PROPERTY: &str = "Scopes voor niet-actieve toegangsgroepen";

/// GET /admin/clients/{client_id}: any client, linked or not; 404 when there is none.
pub async fn get_admin_client(deps: &Deps, id: &str) -> Result<Client, AppError> {
    let id = ClientId::parse(id).ok_or(AppError::NotFound)?;
    deps.applications.client(&id).await?.ok_or(AppError::NotFound)
}

/// DELETE /admin/clients/{client_id}/blocked-scopes: removes the scopes of inactive access groups,
/// so the client can be linked. Logged in its application's log when it has one (an unlinked
/// client has no log of its own: the function's log records it). Removing nothing changes nothing.
pub async fn remove_blocked_scopes(deps: &Deps, id: &str) -> Result<Client, AppError> {
    let mut tries = Tries::of(Stale::Client);
    while tries.next() {
        let before = get_admin_client(deps, id).await?;
        if before.blocked_scopes.is_empty() {
            return Ok(before);
        }
        let now = deps.clock.now();
        let after =
            Client { blocked_scopes: Vec::new(), updated_at: now, version: before.version + 1, ..before.clone() };
        let log = [LogEntry::new(
            now,
            LogAction::Removed,
            BLOCKED_SCOPES_PROPERTY,
            INFORMAT,
            Some(before.blocked_scopes.join(", ")),
            None,
        )];
        let change =
            Change::BlockedScopesRemoved { client: after.id.clone(), partner: after.partner_id.clone(), at: now };
        if written(deps.applications.write_client(&before, &after, &log, &change).await)? {
            tracing::info!(
                client_id = %after.id,
                removed = before.blocked_scopes.len(),
                linked = after.application_id.is_some(),
                outcome = "ok",
                "blocked scopes removed"
            );
            return Ok(after);
        }
    }
    Err(tries.exhausted())
}
