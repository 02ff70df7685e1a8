//! Partner profiles (manual 3.2): create one and link the creator, read it.

use crate::config::Config;
use crate::deps::Deps;
use crate::domain::Caller;
use crate::domain::{
    Change, LogAction, LogEntry, Logo, LogoChange, LogoImage, LogoRefusal, PartnerId, Profile, ProfileEdit,
    ProfileFields, SecretToken, already_linked, decide_logo, decide_new_profile, decide_profile_edit,
};
use crate::error::AppError;
use crate::mail;
use crate::operations::common::{Tries, linked_account, linked_partner, notify, signed_in, stored};
use crate::ports::{Invitation, Linked, Member, Page, ProfileCreated, ProfileUpdated, Resubmission, Stale, StoreError};

fn name_taken(fields: &ProfileFields) -> AppError {
    AppError::Conflict {
        code: "profile_name_taken",
        detail: format!("Er bestaat al een profiel met als naam {}", fields.name),
    }
}

/// POST /profile: a new profile, with the creator's email (read-only) and the creator linked;
/// the creation is the first entry of its log.
pub async fn create_profile(deps: &Deps, creator: &Caller, fields: ProfileFields) -> Result<Profile, AppError> {
    let account = signed_in(deps, creator).await?;
    let mut new = decide_new_profile(&account, PartnerId::new(), fields, deps.clock.now())?;
    // A different name can slug like an existing one: then the slug gets a piece of the id.
    for attempt in 0..2 {
        match deps.profiles.create_profile(&new.profile, &account, &new.log, &new.change).await? {
            ProfileCreated::Yes => {
                tracing::info!(partner = %new.profile.id, "profile created");
                return Ok(new.profile);
            }
            ProfileCreated::NameTaken => return Err(name_taken(&new.profile.fields)),
            ProfileCreated::AccountAlreadyLinked => return Err(already_linked().into()),
            ProfileCreated::SlugTaken if attempt == 0 => new = new.with_distinct_slug(),
            ProfileCreated::SlugTaken => break,
        }
    }
    Err(AppError::invariant("no free slug for a new profile"))
}

/// GET /profile: the profile of the caller's partner.
pub async fn get_profile(deps: &Deps, account: &Caller) -> Result<Profile, AppError> {
    stored(deps, &linked_partner(deps, account).await?).await
}

/// PUT /profile: [`decide_profile_edit`] logs every changed property and sends the partner's
/// rejected applications back to review; the profile, its log and those applications are one
/// transaction, then the profile's email and each resubmitted application are mailed. The
/// optional `expected_version` guards against overwriting someone else's edit; the store checks
/// the version it read either way, so two edits never silently merge.
pub async fn update_profile(
    deps: &Deps,
    account: &Caller,
    fields: ProfileFields,
    expected_version: Option<u64>,
) -> Result<Profile, AppError> {
    let (editor, partner) = linked_account(deps, account).await?;
    // The profile and the partner's applications (the rejected ones go back to review) do not
    // depend on each other: read together. The profile's outcome still decides first.
    let (before, applications) = futures::join!(stored(deps, &partner), deps.applications.applications(&partner));
    let before = before?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(AppError::version_conflict(Stale::Profile));
    }
    let now = deps.clock.now();
    let user = editor.email.to_string();
    // An application that changed between its read and the write (an edit, an archive) makes
    // the transaction fail as a whole: read the applications again and decide again. The
    // profile stays the one read first, so a concurrent edit of the profile is a conflict.
    let mut applications = Some(applications);
    let mut tries = Tries::of(Stale::Profile);
    while tries.next() {
        let read = match applications.take() {
            Some(read) => read?,
            None => deps.applications.applications(&partner).await?,
        };
        let Some(edit) = decide_profile_edit(&before, fields.clone(), &read, &user, now) else {
            return Ok(before);
        };
        let parts: Vec<Resubmission<'_>> =
            edit.resubmitted.iter().map(|r| Resubmission { before: &r.before, after: &r.after, log: &r.log }).collect();
        match deps.profiles.update_profile_resubmitting(&before, &edit.after, &edit.log, &parts, &edit.change).await {
            Ok(ProfileUpdated::Yes) => return notify_edit(deps, &user, edit).await,
            Ok(ProfileUpdated::NameTaken) => return Err(name_taken(&edit.after.fields)),
            // The profile changed since it was read: its editor decides again.
            Err(StoreError::Stale(Stale::Profile)) => return Err(AppError::version_conflict(Stale::Profile)),
            // An application changed: read them again.
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(tries.exhausted())
}

/// After a written [`ProfileEdit`]: the mails go out together; the first that could not be
/// made is the answer's error.
async fn notify_edit(deps: &Deps, user: &str, edit: ProfileEdit) -> Result<Profile, AppError> {
    let ProfileEdit { after, log, resubmitted, .. } = edit;
    tracing::info!(partner = %after.id, changes = log.len(), resubmitted = resubmitted.len(), "profile updated");
    let (changed, resubmissions) = futures::join!(
        notify_changed(deps, &after, user, &log),
        futures::future::join_all(resubmitted.iter().map(|r| notify(
            deps,
            &after,
            &r.after,
            "wordt opnieuw beoordeeld",
            "Het partnerprofiel werd gewijzigd. De geweigerde applicatie gaat daarom terug naar Informat voor een nieuwe beoordeling.",
            user,
            &r.log,
        )))
    );
    changed?;
    resubmissions.into_iter().collect::<Result<(), _>>()?;
    Ok(after)
}

/// Mails the profile's email (manual 3.2.3: it "ontvangt notificaties over wijzigingen") what
/// changed and who (`user`: an email, or "Informat") changed it.
pub(crate) async fn notify_changed(
    deps: &Deps,
    profile: &Profile,
    user: &str,
    log: &[LogEntry],
) -> Result<(), AppError> {
    let Some(at) = log.first().map(|entry| entry.at) else {
        return Ok(());
    };
    let mail = mail::profile_changed(
        &deps.config.mail_from_accounts,
        &profile.email,
        profile.fields.name.as_str(),
        user,
        at,
        log,
        &deps.config.portal_url,
    )?;
    mail::deliver(deps.mailer.as_ref(), "profile_changed", &mail).await;
    Ok(())
}

/// Where a logo is served: [`Profile::logo_url`] under the public API.
pub fn logo_url(config: &Config, profile: &Profile) -> Option<String> {
    profile.logo_url(&config.public_api_url)
}

/// PUT /profile/logo: stores the image, points the profile at it (logged and mailed like any
/// change), then removes the previous image. The bytes decide the type; the limit is 1 MiB.
pub async fn upload_logo(deps: &Deps, account: &Caller, bytes: Vec<u8>) -> Result<Profile, AppError> {
    let (editor, partner) = linked_account(deps, account).await?;
    let image = LogoImage::parse(bytes).map_err(|refusal| match refusal {
        LogoRefusal::TooLarge { size } => AppError::LogoTooLarge { size },
        LogoRefusal::Unsupported => AppError::UnsupportedLogoType,
        LogoRefusal::Empty => AppError::InvalidRequest(
            "Er werd geen afbeelding ontvangen: stuur het logo (PNG, JPEG of WebP, max. 1 MB) als body.".into(),
        ),
    })?;
    let logo = Logo::new(image.format())?;
    // The image and the profile it goes on do not depend on each other: stored and read
    // together. The image's failure comes first, as when it was stored before the read.
    let (put, read) = futures::join!(deps.logos.put_logo(&partner, &logo, image.bytes()), stored(deps, &partner));
    put?;
    let mut read = Some(read);
    let (width, height) = image.dimensions();
    let mut tries = Tries::of(Stale::Profile);
    while tries.next() {
        let before = match read.take() {
            Some(read) => read,
            None => stored(deps, &partner).await,
        };
        // No profile to put it on: the image is not kept.
        let before = match before {
            Ok(profile) => profile,
            Err(e) => {
                remove_logo(deps, &partner, &logo).await;
                return Err(e);
            }
        };
        let LogoChange { after, log, change } =
            decide_logo(&before, logo.clone(), editor.email.as_str(), &deps.config.public_api_url, deps.clock.now());
        let written = deps.profiles.update_profile(&before, &after, &log, &change).await;
        match written {
            Ok(ProfileUpdated::Yes) => {
                tracing::info!(partner = %partner, format = ?logo.format, width, height, "logo replaced");
                // The previous image goes while the mail goes out.
                let remove_old = async {
                    if let Some(old) = &before.logo {
                        remove_logo(deps, &partner, old).await;
                    }
                };
                let (notified, ()) =
                    futures::join!(notify_changed(deps, &after, editor.email.as_str(), &log), remove_old);
                notified?;
                return Ok(after);
            }
            // Someone saved the profile meanwhile: read it again and put the logo on that.
            Err(StoreError::Stale(_)) => continue,
            Ok(ProfileUpdated::NameTaken) => break,
            Err(e) => {
                remove_logo(deps, &partner, &logo).await;
                return Err(e.into());
            }
        }
    }
    remove_logo(deps, &partner, &logo).await;
    Err(tries.exhausted())
}

/// Removes a logo image nobody points at any more. A failure leaves an unused object behind,
/// which is logged; it does not fail the request.
async fn remove_logo(deps: &Deps, partner: &PartnerId, logo: &Logo) {
    if let Err(e) = deps.logos.delete_logo(partner, logo).await {
        tracing::warn!(partner = %partner, error = %e, "an unused logo image was not removed");
    }
}

/// GET /profile/logs: newest first.
pub async fn get_profile_logs(
    deps: &Deps,
    account: &Caller,
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
pub async fn create_invitation(
    deps: &Deps,
    account: &Caller,
) -> Result<(SecretToken, chrono::DateTime<chrono::Utc>), AppError> {
    let (inviter, partner_id) = linked_account(deps, account).await?;
    let secret = SecretToken::generate()?;
    let now = deps.clock.now();
    let expires_at = now + INVITATION_LIFETIME;
    // The log says who made a code and until when it works; never the code itself.
    let log = [LogEntry {
        at: now,
        action: LogAction::Created,
        property: "Uitnodigingscode".into(),
        user: inviter.email.to_string(),
        from: None,
        to: Some(format!("geldig tot {} (UTC)", expires_at.format("%Y-%m-%d %H:%M"))),
    }];
    let invitation =
        Invitation { hash: secret.hash(), partner_id: partner_id.clone(), invited_by: inviter.email, expires_at };
    let change =
        Change::InvitationCreated { partner: partner_id.clone(), by: invitation.invited_by.to_string(), at: now };
    deps.members.put_invitation(&invitation, &log, &change).await?;
    tracing::info!(partner = %partner_id, "invitation code issued");
    Ok((secret, expires_at))
}

/// POST /profile/link: links the caller's account with the profile of a valid code (logged in
/// the same transaction), then mails the profile's email who was linked.
pub async fn link_profile(deps: &Deps, account: &Caller, code: &str) -> Result<Profile, AppError> {
    let invalid = || {
        AppError::Refused {
        code: "invalid_invitation_code",
        detail: "Deze uitnodigingscode is ongeldig, al gebruikt of verlopen. Vraag een nieuwe code aan een gekoppelde gebruiker.".into(),
    }
    };
    let secret = SecretToken::parse(code);
    // The account and the code do not depend on each other: read together. The account's
    // outcome comes first (401, then 409), the code's after.
    let (account, invitation) = futures::join!(signed_in(deps, account), async {
        match &secret {
            Some(secret) => deps.lookups.invitation(&secret.hash()).await,
            None => Ok(None),
        }
    });
    let account = account?;
    if account.partner_id.is_some() {
        return Err(already_linked().into());
    }
    let secret = secret.ok_or_else(invalid)?;
    let now = deps.clock.now();
    // Unknown or expired: the link below would refuse it too.
    let invitation = invitation?.filter(|i| i.expires_at > now).ok_or_else(invalid)?;
    // The profile is read while the code is used; it is only shown once the link succeeded.
    let hash = secret.hash();
    let (linked, profile) =
        futures::join!(deps.members.link(&hash, &account, now), stored(deps, &invitation.partner_id));
    match linked? {
        Linked::Yes(invitation) => {
            tracing::info!(partner = %invitation.partner_id, account = %account.id, "account linked to profile");
            let profile = match profile {
                Ok(profile) if profile.id == invitation.partner_id => profile,
                _ => stored(deps, &invitation.partner_id).await?,
            };
            let mail = mail::user_linked(
                &deps.config.mail_from_accounts,
                &profile.email,
                profile.fields.name.as_str(),
                account.email.as_str(),
                invitation.invited_by.as_str(),
                now,
                &deps.config.portal_url,
            )?;
            mail::deliver(deps.mailer.as_ref(), "user_linked", &mail).await;
            Ok(profile)
        }
        Linked::InvalidCode => Err(invalid()),
        Linked::AccountAlreadyLinked => Err(already_linked().into()),
    }
}

/// GET /profile/users: the accounts linked to the caller's profile, oldest first.
pub async fn list_profile_users(deps: &Deps, account: &Caller) -> Result<Vec<Member>, AppError> {
    let partner = linked_partner(deps, account).await?;
    Ok(deps.members.members(&partner).await?)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::domain::{Account, AccountStatus, Email};
    use crate::operations::directory;
    use crate::ports::{AccountStore as _, ProfileStore as _};
    use crate::testing::{Fakes, TINY_PNG, fakes, profile_fields};

    async fn partner(f: &Fakes, name: &str) -> (Caller, Profile) {
        let id = crate::domain::AccountId::parse(&uuid::Uuid::new_v4().to_string()).expect("id");
        let account = Account {
            id: id.clone(),
            email: Email::parse("email", &format!("{}@voorbeeld.be", id.as_str())).expect("email"),
            status: AccountStatus::Active,
            created_at: chrono::Utc::now(),
            activated_at: Some(chrono::Utc::now()),
            partner_id: None,
            terms: None,
            sessions_valid_from: None,
            reset_token: None,
        };
        let (_, token) = crate::domain::OneTimeToken::issue(
            crate::domain::TokenPurpose::Activation,
            id.clone(),
            account.email.clone(),
            chrono::Utc::now(),
        )
        .expect("random");
        f.store.create_account(&account, &token).await.expect("account");
        let caller = Caller { account: id, issued_at: chrono::Utc::now() };
        let profile = create_profile(&f.deps, &caller, profile_fields(name)).await.expect("profile");
        (caller, profile)
    }

    #[tokio::test]
    async fn a_new_logo_replaces_the_old_image_and_is_logged_and_mailed() {
        let f = fakes();
        let (account, profile) = partner(&f, "Plantyn").await;
        let first = upload_logo(&f.deps, &account, TINY_PNG.to_vec()).await.expect("first");
        let second = upload_logo(&f.deps, &account, TINY_PNG.to_vec()).await.expect("second");
        let (a, b) = (first.logo.expect("logo"), second.logo.clone().expect("logo"));
        assert_ne!(a.id, b.id, "every upload gets its own URL");
        assert_eq!(f.store.logo_ids(&profile.id), std::slice::from_ref(&b.id), "the replaced image is removed");
        assert_eq!(second.version, profile.version + 2);
        assert_eq!(
            logo_url(&f.deps.config, &second).as_deref(),
            Some(format!("https://api.test/partners/plantyn/logo?v={}", b.id).as_str())
        );
        let mails = f.mailer.sent();
        assert_eq!(mails.len(), 2);
        assert!(mails[1].text.contains("Logo"), "{}", mails[1].text);
    }

    #[tokio::test]
    async fn a_refused_logo_changes_nothing() {
        let f = fakes();
        let (account, profile) = partner(&f, "Plantyn").await;
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec();
        let err = upload_logo(&f.deps, &account, svg).await.expect_err("svg");
        assert_eq!(err.code(), "unsupported_logo_type");
        let err = upload_logo(&f.deps, &account, vec![0; crate::domain::MAX_LOGO_BYTES + 1]).await.expect_err("big");
        assert_eq!((err.code(), err.status().as_u16()), ("logo_too_large", 413));
        let stored = f.store.profile(&profile.id).await.expect("store").expect("profile");
        assert_eq!(stored, profile);
        assert!(f.store.logo_ids(&profile.id).is_empty());
        assert!(f.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_failed_mail_keeps_the_logo() {
        let f = fakes();
        let (account, profile) = partner(&f, "Plantyn").await;
        f.mailer.fail.store(true, Ordering::SeqCst);
        upload_logo(&f.deps, &account, TINY_PNG.to_vec()).await.expect("stored although the mail failed");
        assert_eq!(f.store.logo_ids(&profile.id).len(), 1);
    }

    #[tokio::test]
    async fn the_directory_shows_a_partner_only_when_every_condition_holds() {
        let f = fakes();
        let (account, profile) = partner(&f, "Plantyn").await;
        let with_logo = upload_logo(&f.deps, &account, TINY_PNG.to_vec()).await.expect("logo");
        let id = with_logo.logo.clone().expect("logo").id;
        // A logo but no approved application: not listed, and its logo only by its exact URL.
        assert_eq!(directory::get_partner(&f.deps, "plantyn").await.expect_err("unlisted").code(), "not_found");
        assert_eq!(
            directory::get_partner_logo(&f.deps, "plantyn", None).await.expect_err("unlisted").code(),
            "not_found"
        );
        let own = directory::get_partner_logo(&f.deps, "plantyn", Some(&id)).await.expect("own logo");
        assert!(own.immutable);
        assert_eq!(own.bytes, TINY_PNG);
        // One approved application switches the listing on ...
        let approved = Profile { approved_applications: 1, version: with_logo.version + 1, ..with_logo.clone() };
        let change = crate::domain::Change::ProfileUpdated {
            partner: approved.id.clone(),
            by: crate::domain::INFORMAT.into(),
            at: chrono::Utc::now(),
            resubmitted: Vec::new(),
        };
        f.store.update_profile(&with_logo, &approved, &[], &change).await.expect("approve");
        assert_eq!(directory::get_partner(&f.deps, "plantyn").await.expect("listed").id, profile.id);
        let latest = directory::get_partner_logo(&f.deps, "plantyn", Some("outdated")).await.expect("listed logo");
        assert!(!latest.immutable, "an outdated URL gets the current logo, briefly cached");
        // ... and making the profile private switches it off.
        let mut private = profile_fields("Plantyn");
        private.public = false;
        update_profile(&f.deps, &account, private, None).await.expect("private");
        assert_eq!(directory::get_partner(&f.deps, "plantyn").await.expect_err("private").code(), "not_found");
    }
}
