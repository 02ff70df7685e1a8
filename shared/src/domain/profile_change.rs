//! A partner making its profile (manual 3.2.1, api.md `POST /profile`) and editing it (3.2.3,
//! `PUT /profile`): the rules of [`decide_new_profile`] and [`decide_profile_edit`];
//! `crate::operations::profiles` reads, writes and mails.
//!
//! A new profile takes its creator's email, read-only, and links the creator. Every changed
//! property of an edit is logged. The partner's rejected applications go back to review
//! (`new`) with the same write (manual 3.3.1: "Bij weigering pas je de gegevens van je profiel
//! of applicatie aan. Informat zal je aanvraag opnieuw evalueren.").

use chrono::{DateTime, Utc};

use super::{
    Account, Application, ApplicationStatus, Change, LogAction, LogEntry, Logo, PartnerId, Profile, ProfileFields,
    Refusal,
};

/// What an account already linked to a profile reads when it makes or joins another.
pub fn already_linked() -> Refusal {
    Refusal::conflict(
        "account_already_linked",
        "Je account is al gekoppeld aan een partnerprofiel. Een account kan aan maximaal één partnerprofiel gekoppeld zijn.",
    )
}

/// The write a new profile plans: the profile, the first entry of its log, and the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProfile {
    pub profile: Profile,
    pub log: Vec<LogEntry>,
    pub change: Change,
}

impl NewProfile {
    /// The same profile under the slug that the name's own slug followed by a piece of the id
    /// makes: for a different name that slugs like an existing one ("A.B" and "A B"). The id is
    /// unique, so this one is free.
    pub fn with_distinct_slug(mut self) -> Self {
        self.profile.slug = format!("{}-{}", self.profile.fields.name.slug(), &self.profile.id.as_str()[..8]);
        self
    }
}

/// `creator` makes a profile `id` with `fields`. Refused when the account is already linked.
pub fn decide_new_profile(
    creator: &Account,
    id: PartnerId,
    fields: ProfileFields,
    now: DateTime<Utc>,
) -> Result<NewProfile, Refusal> {
    if creator.partner_id.is_some() {
        return Err(already_linked());
    }
    let user = creator.email.as_str();
    let log = vec![LogEntry::new(now, LogAction::Created, "Partnerprofiel", user, None, Some(fields.name.to_string()))];
    let change = Change::ProfileCreated { partner: id.clone(), by: user.to_owned(), at: now };
    let profile = Profile {
        slug: fields.name.slug(),
        email: creator.email.clone(),
        active: true,
        logo: None,
        approved_applications: 0,
        fields,
        created_at: now,
        updated_at: now,
        version: 1,
        id,
    };
    Ok(NewProfile { profile, log, change })
}

/// The write a new logo plans: the profile that points at it, its log entry, the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoChange {
    pub after: Profile,
    pub log: Vec<LogEntry>,
    pub change: Change,
}

/// `user` puts the stored image `logo` on the profile `before`, whose logos are served under
/// the public API at `api`: the log shows the old and the new address.
pub fn decide_logo(before: &Profile, logo: Logo, user: &str, api: &str, now: DateTime<Utc>) -> LogoChange {
    let after = Profile { logo: Some(logo), updated_at: now, version: before.version + 1, ..before.clone() };
    let log = vec![LogEntry::new(now, LogAction::Updated, "Logo", user, before.logo_url(api), after.logo_url(api))];
    let change = Change::LogoChanged { partner: after.id.clone(), by: user.to_owned(), at: now };
    LogoChange { after, log, change }
}

/// At most this many rejected applications go back to review with one profile edit: they share
/// one transaction with the profile, its name guards and its log (DynamoDB takes 100 items in
/// one; each application is two). The oldest go first; any others follow with the next edit.
pub const MAX_RESUBMITTED: usize = 40;

/// A rejected application that goes back to review, with its log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackToReview {
    pub before: Application,
    pub after: Application,
    pub log: Vec<LogEntry>,
}

/// The write a profile edit plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileEdit {
    pub after: Profile,
    /// One entry per changed property.
    pub log: Vec<LogEntry>,
    pub resubmitted: Vec<BackToReview>,
    pub change: Change,
}

/// `user` (the editor's email) sends `fields` for the stored profile `before`, whose partner
/// has `applications`. `None`: nothing changed, nothing to write or mail.
pub fn decide_profile_edit(
    before: &Profile,
    fields: ProfileFields,
    applications: &[Application],
    user: &str,
    now: DateTime<Utc>,
) -> Option<ProfileEdit> {
    let log: Vec<LogEntry> = before
        .fields
        .changes(&fields)
        .into_iter()
        .map(|(property, from, to)| LogEntry::new(now, LogAction::Updated, property, user, from, to))
        .collect();
    if log.is_empty() {
        return None;
    }
    let after = Profile { fields, updated_at: now, version: before.version + 1, ..before.clone() };
    let resubmitted = back_to_review(applications, user, now);
    let change = Change::ProfileUpdated {
        partner: after.id.clone(),
        by: user.to_owned(),
        at: now,
        resubmitted: resubmitted.iter().map(|r| r.after.id.clone()).collect(),
    };
    Some(ProfileEdit { after, log, resubmitted, change })
}

/// Of `applications`, the rejected ones (the oldest [`MAX_RESUBMITTED`]) as they are once the
/// profile edit sends them back to `new`: the way the partner's own edit of one does.
fn back_to_review(applications: &[Application], user: &str, now: DateTime<Utc>) -> Vec<BackToReview> {
    let mut rejected: Vec<&Application> =
        applications.iter().filter(|a| a.status == ApplicationStatus::Rejected).collect();
    rejected.sort_by_key(|a| a.created_at);
    rejected
        .into_iter()
        .take(MAX_RESUBMITTED)
        // `edited` refuses only an archived application; these are rejected.
        .filter_map(|before| Some((before, before.edited(before.fields.clone()).ok()?)))
        .map(|(before, edited)| {
            let after = Application { updated_at: now, version: before.version + 1, ..edited };
            let log = vec![before.status_entry(LogAction::Updated, &after, user, now)];
            BackToReview { before: before.clone(), after, log }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{application, at, profile};
    use crate::domain::{Api, Website};

    const USER: &str = "an@planner.be";

    fn creator(partner_id: Option<PartnerId>) -> Account {
        Account {
            id: crate::domain::AccountId::parse("0b6f3e4c-1d2a-4c5b-9e8f-7a6b5c4d3e2f").expect("id"),
            email: crate::domain::Email::parse("email", USER).expect("email"),
            status: crate::domain::AccountStatus::Active,
            created_at: crate::domain::fixtures::made(),
            activated_at: Some(crate::domain::fixtures::made()),
            partner_id,
            terms: None,
            sessions_valid_from: None,
            reset_token: None,
        }
    }

    #[test]
    fn a_new_profile_is_active_takes_the_creators_email_and_logs_its_creation() {
        let now = at("2026-05-02T10:00:00Z");
        let id = PartnerId::new();
        let fields = crate::testing::profile_fields("Één École & Co.");
        let new = decide_new_profile(&creator(None), id.clone(), fields.clone(), now).expect("allowed");
        let p = &new.profile;
        assert_eq!((p.id.clone(), p.slug.as_str(), p.email.as_str()), (id.clone(), "een-ecole-co", USER));
        assert!(p.active && p.logo.is_none() && p.approved_applications == 0 && p.version == 1);
        assert_eq!((p.fields.clone(), p.created_at, p.updated_at), (fields, now, now));
        assert_eq!(
            new.log,
            [LogEntry::new(now, LogAction::Created, "Partnerprofiel", USER, None, Some("Één École & Co.".into()))]
        );
        assert_eq!(new.change, Change::ProfileCreated { partner: id.clone(), by: USER.into(), at: now });
        let other = new.with_distinct_slug();
        assert_eq!(other.profile.slug, format!("een-ecole-co-{}", &id.as_str()[..8]));
        assert_eq!(other.profile.id, id, "only the slug differs");
    }

    #[test]
    fn a_logo_is_logged_by_its_old_and_new_address() {
        let now = at("2026-05-02T10:00:00Z");
        let logo = |id: &str| Logo { id: id.into(), format: crate::domain::LogoFormat::Png };
        let before = Profile { logo: Some(logo("oud")), ..profile(true) };
        let c = decide_logo(&before, logo("nieuw"), USER, "https://api.test", now);
        assert_eq!(c.after.logo, Some(logo("nieuw")));
        assert!(c.after.version == before.version + 1 && c.after.updated_at == now);
        let entry = &c.log[..];
        assert_eq!(
            entry,
            [LogEntry::new(
                now,
                LogAction::Updated,
                "Logo",
                USER,
                Some("https://api.test/partners/planner-bv/logo?v=oud".into()),
                Some("https://api.test/partners/planner-bv/logo?v=nieuw".into()),
            )]
        );
        assert_eq!(c.change, Change::LogoChanged { partner: before.id.clone(), by: USER.into(), at: now });
        let first = decide_logo(&profile(true), logo("eerste"), USER, "https://api.test", now);
        assert_eq!(first.log[0].from, None, "the first logo replaces nothing");
    }

    #[test]
    fn an_account_makes_at_most_one_profile() {
        let linked = creator(Some(PartnerId::new()));
        let refused = decide_new_profile(
            &linked,
            PartnerId::new(),
            crate::testing::profile_fields("Tweede"),
            crate::domain::fixtures::made(),
        );
        assert!(matches!(refused, Err(Refusal::Conflict { code: "account_already_linked", .. })));
    }

    #[test]
    fn an_edit_logs_each_changed_property_and_says_what_happened() {
        let now = at("2026-05-02T10:00:00Z");
        let before = profile(true);
        let mut fields = before.fields.clone();
        fields.public = !fields.public;
        fields.website = Website::parse("https://ander.be").expect("website");
        let edit = decide_profile_edit(&before, fields.clone(), &[], USER, now).expect("a change");
        assert_eq!(edit.after.fields, fields);
        assert!(edit.after.version == before.version + 1 && edit.after.updated_at == now);
        assert_eq!((edit.after.id.clone(), edit.after.slug.clone()), (before.id.clone(), before.slug.clone()));
        let properties: Vec<&str> = edit.log.iter().map(|e| e.property.as_str()).collect();
        assert_eq!(properties, ["Publiek / Privé", "Website"]);
        assert!(edit.log.iter().all(|e| e.user == USER && e.at == now));
        assert_eq!(
            edit.change,
            Change::ProfileUpdated { partner: before.id.clone(), by: USER.into(), at: now, resubmitted: vec![] }
        );
    }

    #[test]
    fn the_same_fields_change_nothing_even_with_rejected_applications() {
        let before = profile(true);
        let rejected = application(ApplicationStatus::Rejected, &[Api::Leerlingen]);
        assert_eq!(
            decide_profile_edit(&before, before.fields.clone(), &[rejected], USER, at("2026-05-02T10:00:00Z")),
            None
        );
    }

    #[test]
    fn only_rejected_applications_go_back_to_review_oldest_first_at_most_forty() {
        let now = at("2026-05-02T10:00:00Z");
        let before = profile(true);
        let mut fields = before.fields.clone();
        fields.description = "Nieuw".into();
        let mut applications: Vec<Application> = (0..MAX_RESUBMITTED as i64 + 2)
            .map(|i| Application {
                created_at: at("2026-04-01T00:00:00Z") - chrono::Duration::minutes(i),
                ..application(ApplicationStatus::Rejected, &[Api::Leerlingen])
            })
            .collect();
        let newest = applications[0].id.clone();
        let second_newest = applications[1].id.clone();
        for status in [ApplicationStatus::New, ApplicationStatus::Approved, ApplicationStatus::Archived] {
            applications.push(application(status, &[Api::Personeel]));
        }
        let edit = decide_profile_edit(&before, fields, &applications, USER, now).expect("a change");
        assert_eq!(edit.resubmitted.len(), MAX_RESUBMITTED);
        assert!(edit.resubmitted.windows(2).all(|w| w[0].before.created_at <= w[1].before.created_at));
        let ids: Vec<_> = edit.resubmitted.iter().map(|r| r.after.id.clone()).collect();
        assert!(!ids.contains(&newest) && !ids.contains(&second_newest), "the newest wait for the next edit");
        for r in &edit.resubmitted {
            assert_eq!((r.before.status, r.after.status), (ApplicationStatus::Rejected, ApplicationStatus::New));
            assert!(r.after.version == r.before.version + 1 && r.after.updated_at == now);
            assert_eq!(r.after.fields, r.before.fields);
            assert_eq!(r.log.len(), 1);
            assert_eq!((r.log[0].from.as_deref(), r.log[0].user.as_str()), (Some(r.before.status.label()), USER));
        }
        assert!(matches!(&edit.change, Change::ProfileUpdated { resubmitted, .. } if *resubmitted == ids));
    }
}
