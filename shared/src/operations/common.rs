//! What several operations share: the caller's account and partner, the partner's profile, one
//! of its applications, notifying the partner, and throttling. Nothing here decides a change;
//! each operation module uses these and no other operation module.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::deps::Deps;
use crate::domain::{
    Account, Application, ApplicationId, Caller, LogEntry, PartnerId, Profile, notification_recipients,
};
use crate::error::AppError;
use crate::mail::{self, ApplicationEvent};
use crate::ports::{Stale, StoreError};

/// The account of a partner request: every partner route reads it, and this is where a token
/// becomes a session. A token whose account the portal does not know, or one issued before a
/// password reset ended the account's sessions, is no session (401).
pub(crate) async fn signed_in(deps: &Deps, caller: &Caller) -> Result<Account, AppError> {
    let account = deps.accounts.account(&caller.account).await?.ok_or(AppError::Unauthorized)?;
    if account.accepts_session(caller.issued_at) {
        Ok(account)
    } else {
        tracing::info!(account = %account.id, "a token from before the last password reset");
        Err(AppError::Unauthorized)
    }
}

/// The caller's account and the partner it is linked to.
pub(crate) async fn linked_account(deps: &Deps, account: &Caller) -> Result<(Account, PartnerId), AppError> {
    let account = signed_in(deps, account).await?;
    let partner = account.partner_id.clone().ok_or(AppError::ProfileNotLinked)?;
    Ok((account, partner))
}

/// The partner profile an account is linked to.
pub(crate) async fn linked_partner(deps: &Deps, account: &Caller) -> Result<PartnerId, AppError> {
    Ok(linked_account(deps, account).await?.1)
}

/// The profile that an account or an invitation points at: it must exist.
pub(crate) async fn stored(deps: &Deps, partner: &PartnerId) -> Result<Profile, AppError> {
    deps.profiles
        .profile(partner)
        .await?
        .ok_or_else(|| AppError::invariant(format!("a link points at missing partner {partner}")))
}

/// The partner's profile; 409 `partner_inactive` when Informat deactivated it.
pub(crate) async fn active_partner(deps: &Deps, partner: &PartnerId) -> Result<Profile, AppError> {
    let profile = stored(deps, partner).await?;
    if profile.active { Ok(profile) } else { Err(AppError::partner_inactive()) }
}

/// One of the caller's applications; anything else (another partner's, an id that is not
/// one) is 404, never 403.
pub(crate) async fn own(deps: &Deps, partner: &PartnerId, id: &str) -> Result<Application, AppError> {
    let id = ApplicationId::parse(id).ok_or(AppError::NotFound)?;
    deps.applications.application(partner, &id).await?.ok_or(AppError::NotFound)
}

/// Mails what happened to an application to the partner's email and, once it is confirmed, the
/// application's contact. A failed send is logged; the change stands.
pub(crate) async fn notify(
    deps: &Deps,
    profile: &Profile,
    app: &Application,
    what: &str,
    headline: &str,
    user: &str,
    log: &[LogEntry],
) -> Result<(), AppError> {
    let event = ApplicationEvent {
        what,
        headline,
        application: app,
        partner: profile.fields.name.as_str(),
        user,
        changes: log,
    };
    let to = notification_recipients(&profile.email, &app.fields.contact_email, &app.contact);
    let mail = mail::application_changed(&deps.config.mail_from_accounts, &to, &event, &deps.config.portal_url)?;
    mail::deliver(deps.mailer.as_ref(), "application_changed", &mail).await;
    Ok(())
}

/// A key of the attempts store: `kind` and a digest of what is counted (an address, a client
/// id), so the table does not hold it.
pub(crate) fn throttle_key(kind: &str, counted: &str) -> String {
    format!("{kind}#{}", hex::encode(Sha256::digest(counted.as_bytes())))
}

/// 429 with the time left while `key` has `max` failures in its open window.
pub(crate) async fn refuse_if_throttled(
    deps: &Deps,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
    max: u32,
) -> Result<(), AppError> {
    match deps.attempts.attempts(key, now, window).await? {
        Some(attempts) if attempts.failures >= max => {
            let retry_after_seconds = (attempts.window_started_at + window - now).num_seconds();
            Err(AppError::TooManyAttempts { retry_after_seconds })
        }
        _ => Ok(()),
    }
}

/// A conditional write's outcome for an operation that reads again and retries when what it
/// read changed meanwhile: `Ok(true)` written, `Ok(false)` stale (nothing was written), any
/// other failure as the error.
pub(crate) fn written(outcome: Result<(), StoreError>) -> Result<bool, AppError> {
    match outcome {
        Ok(()) => Ok(true),
        Err(StoreError::Stale(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How often an operation tries a write whose read went stale (a concurrent change of what it
/// read): the first try and the retries, each after reading again and deciding again.
pub(crate) const STALE_ATTEMPTS: usize = 4;

/// The tries of one optimistic write, the one retry policy of the operations:
/// `while tries.next() { read; decide; match write { stale => continue, .. } }` then
/// `Err(tries.exhausted())`, 409 `version_conflict` naming what kept changing.
pub(crate) struct Tries {
    what: Stale,
    left: usize,
}

impl Tries {
    pub(crate) fn of(what: Stale) -> Self {
        Self { what, left: STALE_ATTEMPTS }
    }

    /// Whether to try (again).
    pub(crate) fn next(&mut self) -> bool {
        let again = self.left > 0;
        self.left = self.left.saturating_sub(1);
        again
    }

    /// What the caller reads when every try went stale.
    pub(crate) fn exhausted(&self) -> AppError {
        AppError::version_conflict(self.what)
    }
}
