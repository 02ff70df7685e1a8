//! Partner profiles (manual 3.2): create one and link the creator, read it.

use crate::deps::Deps;
use crate::domain::{AccountId, LogAction, LogEntry, PartnerId, Profile, ProfileFields, SecretToken};
use crate::error::{AppError, Internal};
use crate::mail;
use crate::ports::{Invitation, Linked, Member, Page, ProfileCreated, ProfileUpdated};

/// The partner profile an account is linked to.
pub async fn linked_partner(deps: &Deps, account: &AccountId) -> Result<PartnerId, AppError> {
    let account = deps.accounts.account(account).await?.ok_or(AppError::Unauthorized)?;
    account.partner_id.ok_or(AppError::ProfileNotLinked)
}

fn name_taken(fields: &ProfileFields) -> AppError {
    AppError::Conflict {
        code: "profile_name_taken",
        detail: format!("Er bestaat al een profiel met als naam {}", fields.name),
    }
}

fn already_linked() -> AppError {
    AppError::Conflict {
        code: "account_already_linked",
        detail: "Je account is al gekoppeld aan een partnerprofiel. Een account kan aan maximaal één partnerprofiel gekoppeld zijn.".into(),
    }
}

/// POST /profile: a new profile, with the creator's email (read-only) and the creator linked.
pub async fn create(deps: &Deps, creator: &AccountId, fields: ProfileFields) -> Result<Profile, AppError> {
    let account = deps.accounts.account(creator).await?.ok_or(AppError::Unauthorized)?;
    if account.partner_id.is_some() {
        return Err(already_linked());
    }
    let now = deps.clock.now();
    let id = PartnerId::new();
    let base_slug = fields.name.slug();
    let mut profile = Profile {
        slug: base_slug.clone(),
        email: account.email.clone(),
        active: true,
        logo_url: None,
        fields,
        created_at: now,
        updated_at: now,
        version: 1,
        id,
    };
    // A different name can slug like an existing one ("A.B" and "A B"): then the slug gets a
    // piece of the id, which is unique.
    for attempt in 0..2 {
        match deps.profiles.create_profile(&profile, &account).await? {
            ProfileCreated::Yes => {
                tracing::info!(partner = %profile.id, "profile created");
                return Ok(profile);
            }
            ProfileCreated::NameTaken => return Err(name_taken(&profile.fields)),
            ProfileCreated::AccountAlreadyLinked => return Err(already_linked()),
            ProfileCreated::SlugTaken if attempt == 0 => {
                profile.slug = format!("{base_slug}-{}", &profile.id.as_str()[..8]);
            }
            ProfileCreated::SlugTaken => break,
        }
    }
    Err(AppError::Internal(Internal::Invariant("no free slug for a new profile".into())))
}

/// GET /profile: the profile of the caller's partner.
pub async fn of_account(deps: &Deps, account: &AccountId) -> Result<Profile, AppError> {
    stored(deps, &linked_partner(deps, account).await?).await
}

/// The profile that an account or an invitation points at: it must exist.
async fn stored(deps: &Deps, partner: &PartnerId) -> Result<Profile, AppError> {
    deps.profiles
        .profile(partner)
        .await?
        .ok_or_else(|| AppError::Internal(Internal::Invariant(format!("a link points at missing partner {partner}"))))
}

/// PUT /profile: every changed property is logged and mailed to the profile's email. The
/// optional `expected_version` guards against overwriting someone else's edit; the store checks
/// the version it read either way, so two edits never silently merge.
pub async fn update(
    deps: &Deps,
    account: &AccountId,
    fields: ProfileFields,
    expected_version: Option<u64>,
) -> Result<Profile, AppError> {
    let editor = deps.accounts.account(account).await?.ok_or(AppError::Unauthorized)?;
    let partner = editor.partner_id.clone().ok_or(AppError::ProfileNotLinked)?;
    let before = stored(deps, &partner).await?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(version_conflict());
    }
    let now = deps.clock.now();
    let log: Vec<LogEntry> = before
        .fields
        .changes(&fields)
        .into_iter()
        .map(|(property, from, to)| LogEntry {
            at: now,
            action: LogAction::Updated,
            property: property.to_owned(),
            user: editor.email.to_string(),
            from,
            to,
        })
        .collect();
    if log.is_empty() {
        return Ok(before);
    }
    let after = Profile { fields, updated_at: now, version: before.version + 1, ..before.clone() };
    match deps.profiles.update_profile(&before, &after, &log).await? {
        ProfileUpdated::Yes => {}
        ProfileUpdated::VersionConflict => return Err(version_conflict()),
        ProfileUpdated::NameTaken => return Err(name_taken(&after.fields)),
    }
    tracing::info!(partner = %after.id, changes = log.len(), "profile updated");
    let mail = mail::profile_changed(
        &deps.config.mail_from_accounts,
        &after.email,
        after.fields.name.as_str(),
        editor.email.as_str(),
        now,
        &log,
        &deps.config.portal_url,
    )?;
    mail::deliver(deps.mailer.as_ref(), "profile_changed", &mail).await;
    Ok(after)
}

fn version_conflict() -> AppError {
    AppError::Conflict {
        code: "version_conflict",
        detail:
            "Het profiel werd intussen door iemand anders gewijzigd. Laad het opnieuw en doe je aanpassingen nog eens."
                .into(),
    }
}

/// GET /profile/logs: newest first.
pub async fn log(
    deps: &Deps,
    account: &AccountId,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<LogEntry>, AppError> {
    let partner = linked_partner(deps, account).await?;
    Ok(deps.profiles.profile_log(&partner, limit, cursor).await?)
}

/// How long an invitation code works (api.md: 7 days).
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// POST /profile/invitations: a code to paste, shown once, single use, valid 7 days. It is a
/// 256-bit random secret (copied, never typed), so a SHA-256 digest is what is stored.
pub async fn invite(
    deps: &Deps,
    account: &AccountId,
) -> Result<(SecretToken, chrono::DateTime<chrono::Utc>), AppError> {
    let inviter = deps.accounts.account(account).await?.ok_or(AppError::Unauthorized)?;
    let partner_id = inviter.partner_id.ok_or(AppError::ProfileNotLinked)?;
    let secret = SecretToken::generate()?;
    let expires_at = deps.clock.now() + INVITATION_LIFETIME;
    deps.members
        .put_invitation(&Invitation {
            hash: secret.hash(),
            partner_id: partner_id.clone(),
            invited_by: inviter.email,
            expires_at,
        })
        .await?;
    tracing::info!(partner = %partner_id, "invitation code issued");
    Ok((secret, expires_at))
}

/// POST /profile/link: links the caller's account with the profile of a valid code.
pub async fn link(deps: &Deps, account: &AccountId, code: &str) -> Result<Profile, AppError> {
    let account = deps.accounts.account(account).await?.ok_or(AppError::Unauthorized)?;
    if account.partner_id.is_some() {
        return Err(already_linked());
    }
    let invalid = || {
        AppError::Refused {
        code: "invalid_invitation_code",
        detail: "Deze uitnodigingscode is ongeldig, al gebruikt of verlopen. Vraag een nieuwe code aan een gekoppelde gebruiker.".into(),
    }
    };
    let secret = SecretToken::parse(code).ok_or_else(invalid)?;
    match deps.members.link(&secret.hash(), &account, deps.clock.now()).await? {
        Linked::Yes(partner) => {
            tracing::info!(partner = %partner, account = %account.id, "account linked to profile");
            stored(deps, &partner).await
        }
        Linked::InvalidCode => Err(invalid()),
        Linked::AccountAlreadyLinked => Err(already_linked()),
    }
}

/// GET /profile/users: the accounts linked to the caller's profile, oldest first.
pub async fn members(deps: &Deps, account: &AccountId) -> Result<Vec<Member>, AppError> {
    let partner = linked_partner(deps, account).await?;
    Ok(deps.members.members(&partner).await?)
}
