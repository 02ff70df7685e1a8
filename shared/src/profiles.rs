//! Partner profiles (manual 3.2): create one and link the creator, read it.

use crate::deps::Deps;
use crate::domain::{AccountId, PartnerId, Profile, ProfileFields};
use crate::error::{AppError, Internal};
use crate::ports::ProfileCreated;

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
    let partner = linked_partner(deps, account).await?;
    deps.profiles
        .profile(&partner)
        .await?
        .ok_or_else(|| AppError::Internal(Internal::Invariant(format!("account linked to missing partner {partner}"))))
}
