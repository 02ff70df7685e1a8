//! A deactivated partner is suspended (api.md "Back office: moderators"): it is not listed, its
//! clients get `invalid_client` at the token endpoint, and it cannot create or edit
//! applications, make a client secret, register public keys or send access requests (409
//! `partner_inactive`); a school administrator cannot grant it access through an earlier link
//! either. Activation restores all of it.
//!
//! The token endpoint reads one client partition and nothing else, so the suspension is written
//! on every client of the partner (`Client::partner_suspended`), in the same transaction as the
//! profile (conditional on the profile's version read): each client's flag and version are updated
//! in place, so a writer that read the client before fails its version check. A client written later (an approval, a link)
//! takes the flag from the profile it is written against; that write is conditional on the
//! profile's version (an approval changes the partner's count of approved applications), so an
//! approval and a deactivation at the same moment cannot leave a working client behind.

use crate::deps::Deps;
use crate::domain::{ClientId, PartnerId, Profile, Suspension, decide_activation};
use crate::error::AppError;
use crate::operations::common::Tries;
use crate::ports::{Stale, StoreError};

pub use crate::domain::{Activation, REASON_PROPERTY};

/// A transaction holds at most 100 items: the profile and its three log entries (status, clients,
/// reason) leave this many for clients.
const MAX_CLIENTS: usize = 96;

/// The mail to the profile's email: deactivated (with the reason) or active again.
async fn notify(
    deps: &Deps,
    profile: &Profile,
    activation: &Activation,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let reason = match activation {
        Activation::Deactivate { reason } => Some(reason.as_str()),
        Activation::Activate => None,
    };
    let mail = crate::mail::partner_activation(
        &deps.config.mail_from_accounts,
        &profile.email,
        profile.fields.name.as_str(),
        reason,
        at,
        &deps.config.portal_url,
    )?;
    crate::mail::deliver(deps.mailer.as_ref(), "partner_activation", &mail).await;
    Ok(())
}

/// POST /admin/partners/{id}/deactivate and /activate: the profile's `active` and every client of
/// the partner's applications, in one transaction; logged on the profile (a deactivation with its
/// reason) and mailed to its email with a subject that says what happened.
pub async fn set_partner_active(deps: &Deps, id: &str, activation: Activation) -> Result<Profile, AppError> {
    let id = PartnerId::parse(id).ok_or(AppError::NotFound)?;
    let active = activation.active();
    // The profile or a client changed between its read and its write.
    let mut tries = Tries::of(Stale::Profile);
    while tries.next() {
        // The profile first: an approval that commits after this read changes its version, so
        // the write below fails and the next round sees the new client.
        let before = deps.profiles.profile(&id).await?.ok_or(AppError::NotFound)?;
        let apps = deps.applications.applications(&id).await?;
        let ids: Vec<ClientId> = apps.iter().filter_map(|a| a.client_id.clone()).collect();
        // Every client carries its partner's suspension: each write of a client takes it from
        // the profile or keeps the one it read, conditional on a version that a (de)activation
        // changes. So when the profile changes, every client changes with it, and they are
        // written without being read first (their flag and version only). When the profile
        // stays as it is (a repeated call), the clients are read and one that differs is set.
        let changed: Vec<ClientId> = if before.active != active || ids.is_empty() {
            ids
        } else {
            deps.access
                .clients(&ids)
                .await?
                .into_iter()
                .filter(|c| c.partner_suspended == active)
                .map(|c| c.id)
                .collect()
        };
        let now = deps.clock.now();
        let Some(Suspension { after, clients, log, change }) = decide_activation(&before, &activation, changed, now)
        else {
            return Ok(before);
        };
        if clients.len() > MAX_CLIENTS {
            return Err(AppError::invariant(format!(
                "partner {id} has {} clients, more than one transaction holds",
                clients.len()
            )));
        }
        match deps.applications.write_partner_suspension((&before, &after), &clients, !active, &log, &change).await {
            Ok(()) => {
                tracing::info!(partner = %id, active, clients = clients.len(), "partner activation changed");
                notify(deps, &after, &activation, now).await?;
                return Ok(after);
            }
            Err(StoreError::Stale(Stale::Profile | Stale::Application)) => continue,
            // Clients are never deleted: an application's client id names one that exists.
            Err(StoreError::Stale(Stale::Client)) => {
                return Err(AppError::invariant(format!("a client of partner {id} is missing")));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(tries.exhausted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Change;
    use crate::testing::{approved, fakes, partner};

    #[tokio::test]
    async fn a_deactivation_suspends_every_client_and_says_why() {
        let f = fakes();
        let (caller, profile) = partner(&f, "Planner BV").await;
        let (_, client_id) = approved(&f, &caller).await;
        let id = profile.id.to_string();
        let reason = "Contract opgezegd".to_owned();
        let off =
            set_partner_active(&f.deps, &id, Activation::Deactivate { reason: reason.clone() }).await.expect("off");
        assert!(!off.active);
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(client.partner_suspended);
        assert_eq!(
            f.store.changes().last(),
            Some(&Change::PartnerDeactivated { partner: profile.id.clone(), reason, at: off.updated_at })
        );
        // Once more changes nothing, and writes nothing.
        let writes = f.store.changes().len();
        set_partner_active(&f.deps, &id, Activation::Deactivate { reason: "weer".into() }).await.expect("still off");
        assert_eq!(f.store.changes().len(), writes);
        let on = set_partner_active(&f.deps, &id, Activation::Activate).await.expect("on");
        assert!(on.active);
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(!client.partner_suspended);
        assert_eq!(
            f.store.changes().last(),
            Some(&Change::PartnerActivated { partner: profile.id, at: on.updated_at })
        );
    }

    #[tokio::test]
    async fn an_unknown_partner_is_not_found() {
        let f = fakes();
        for id in ["", "geen-id", &PartnerId::new().to_string()] {
            assert!(
                matches!(set_partner_active(&f.deps, id, Activation::Activate).await, Err(AppError::NotFound)),
                "{id}"
            );
        }
    }
}
