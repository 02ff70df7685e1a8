//! Applications and their clients (manual 2.2 and 3.3): the APIs, scopes, the status machine
//! that Informat moderates, and the client an approved application uses.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, FieldError, LogAction, LogEntry, PartnerId, TokenHash, text};

/// The data a client can be granted (api.md "APIs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Leerlingen,
    Personeel,
    Internen,
    Voorinschrijvingen,
    Rekeningen,
}

impl Api {
    pub const ALL: [Api; 5] =
        [Self::Leerlingen, Self::Personeel, Self::Internen, Self::Voorinschrijvingen, Self::Rekeningen];

    pub fn code(self) -> &'static str {
        match self {
            Self::Leerlingen => "leerlingen",
            Self::Personeel => "personeel",
            Self::Internen => "internen",
            Self::Voorinschrijvingen => "voorinschrijvingen",
            Self::Rekeningen => "rekeningen",
        }
    }

    /// As the portal shows it: "Leerlingen".
    pub fn label(self) -> &'static str {
        match self {
            Self::Leerlingen => "Leerlingen",
            Self::Personeel => "Personeel",
            Self::Internen => "Internen",
            Self::Voorinschrijvingen => "Voorinschrijvingen",
            Self::Rekeningen => "Rekeningen",
        }
    }

    /// The property its checkbox is logged as: "API toegang - Leerlingen".
    pub fn log_property(self) -> String {
        format!("API toegang - {}", self.label())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_lowercase();
        Self::ALL.into_iter().find(|api| api.code() == raw)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The APIs an application has checked: at least one (manual 3.3.3 "minstens één keuze vereist").
pub fn apis(field: &'static str, raw: &[String]) -> Result<BTreeSet<Api>, FieldError> {
    let mut picked = BTreeSet::new();
    for code in raw {
        let api = Api::parse(code).ok_or_else(|| {
            FieldError::new(
                field,
                "unknown_api",
                format!(
                    "Onbekende API \u{201c}{}\u{201d}: kies uit leerlingen, personeel, internen, voorinschrijvingen en rekeningen.",
                    code.trim()
                ),
            )
        })?;
        picked.insert(api);
    }
    if picked.is_empty() {
        return Err(FieldError::new(field, "required", "Kies minstens één API."));
    }
    Ok(picked)
}

string_newtype! {
    /// An institution (instellingsnummer): 5 or 6 digits.
    pub struct Institution(String): PartialOrd, Ord;
    try_from(raw) -> String { Self::parse(raw).ok_or_else(|| format!("not an institution number: {raw:?}")) }
}

impl Institution {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        ((5..=6).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit())).then(|| Self(raw.to_owned()))
    }
}

/// A right to one API at one institution: `api:instellingsnummer` (api.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope {
    pub api: Api,
    pub institution: Institution,
}

impl Scope {
    pub fn parse(raw: &str) -> Option<Self> {
        let (api, institution) = raw.trim().split_once(':')?;
        Some(Self { api: Api::parse(api)?, institution: Institution::parse(institution)? })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.api, self.institution)
    }
}

impl TryFrom<String> for Scope {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("not a scope: {value}"))
    }
}

impl From<Scope> for String {
    fn from(value: Scope) -> Self {
        value.to_string()
    }
}

string_newtype! {
    /// The identifier of an application.
    pub struct ApplicationId(String): PartialOrd, Ord;
    try_from(raw) -> String { Self::parse(raw).ok_or_else(|| format!("not an application id: {raw:?}")) }
}

impl ApplicationId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// An id as a path carries it; anything else is no application of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw).ok().filter(|u| u.hyphenated().to_string() == raw).map(|_| Self(raw.to_owned()))
    }
}

impl Default for ApplicationId {
    fn default() -> Self {
        Self::new()
    }
}

string_newtype! {
    /// A client id: what an application identifies itself with at the token endpoint. Informat's
    /// existing ids look like `informat_customer_school`; new ones are `app-` and 24 hex digits.
    pub struct ClientId(String): PartialOrd, Ord;
    try_from(raw) -> String { Self::parse(raw).ok_or_else(|| format!("not a client id: {raw:?}")) }
}

impl ClientId {
    /// A fresh id for an approved application: 96 random bits, never reused.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("app-{}", hex::encode(bytes))))
    }

    /// Letters, digits and `_ - .`, 1 to 128 characters: what ids of the existing clients use.
    /// Never shaped like a UUID: the client id is the `sub` of its access tokens, and a user's
    /// `sub` (Cognito) is a UUID, so the two can never be mistaken for each other.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        ((1..=128).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && !(raw.len() == 36 && uuid::Uuid::try_parse(raw).is_ok()))
        .then(|| Self(raw.to_owned()))
    }
}

/// The validation status of an application (manual 3.3.3 "Status"), set by Informat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationStatus {
    /// Waiting for Informat.
    New,
    /// A client is assigned and active.
    Approved,
    /// Not approved; the client (if any) is not active. An edit sends it back to `New`.
    Rejected,
    /// Out of use; read-only; the client no longer works.
    Archived,
}

impl ApplicationStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Archived => "archived",
        }
    }

    /// As the portal shows it (manual 3.3.3).
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "Nieuw",
            Self::Approved => "Goedgekeurd",
            Self::Rejected => "Geweigerd",
            Self::Archived => "Gearchiveerd",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::New, Self::Approved, Self::Rejected, Self::Archived].into_iter().find(|s| s.code() == raw.trim())
    }
}

/// What a partner fills in (ApplicationInput of api.md), validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationFields {
    pub name: String,
    pub description: String,
    pub contact_name: String,
    pub contact_email: Email,
    pub apis: BTreeSet<Api>,
}

impl ApplicationFields {
    pub const NAME_MAX: usize = 200;
    pub const DESCRIPTION_MAX: usize = 2000;

    pub fn name(raw: &str) -> Result<String, FieldError> {
        let name = text("name", raw, true, Self::NAME_MAX)?;
        if name.contains(['\n', '\r', '\t']) {
            return Err(FieldError::new("name", "invalid_characters", "Een naam staat op één regel."));
        }
        Ok(name)
    }

    /// What changed from `self` to `after`, as log rows: (action, property, from, to). An API
    /// is a property of its own ("API toegang - Leerlingen"), added or removed.
    pub fn changes(&self, after: &Self) -> Vec<(super::LogAction, String, Option<String>, Option<String>)> {
        use super::LogAction::{Created, Removed, Updated};
        let mut rows = Vec::new();
        let mut field = |property: &str, from: &str, to: &str| {
            if from != to {
                rows.push((Updated, property.to_owned(), Some(from.to_owned()), Some(to.to_owned())));
            }
        };
        field("Naam", &self.name, &after.name);
        field("Omschrijving", &self.description, &after.description);
        field("Contactpersoon", &self.contact_name, &after.contact_name);
        field("E-mailadres", self.contact_email.as_str(), after.contact_email.as_str());
        for api in Api::ALL {
            let property = api.log_property();
            match (self.apis.contains(&api), after.apis.contains(&api)) {
                (false, true) => rows.push((Created, property, None, Some(api.label().to_owned()))),
                (true, false) => rows.push((Removed, property, Some(api.label().to_owned()), None)),
                _ => {}
            }
        }
        rows
    }
}

/// A partner's application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: ApplicationId,
    pub partner_id: PartnerId,
    pub fields: ApplicationFields,
    pub status: ApplicationStatus,
    /// Assigned at approval (or taken over when an existing client is linked); never changes.
    pub client_id: Option<ClientId>,
    pub rejection_reason: Option<String>,
    pub secret_created_at: Option<DateTime<Utc>>,
    /// Whether the contact email is confirmed (absent in items stored before issue 21).
    #[serde(default)]
    pub contact: ContactEmail,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A status change the status machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an application that is {from:?} cannot be {to:?}")]
pub struct InvalidTransition {
    pub from: ApplicationStatus,
    pub to: ApplicationStatus,
}

impl Application {
    /// The log entry of `user`'s `action` that took this application to `after`'s status.
    pub fn status_entry(&self, action: LogAction, after: &Self, user: &str, now: DateTime<Utc>) -> LogEntry {
        let (from, to) = (self.status.label().into(), after.status.label().into());
        LogEntry::new(now, action, "Status", user, Some(from), Some(to))
    }

    /// Approval by Informat: from `new` only. The client id is the one it already has (it never
    /// changes), or `fresh`.
    pub fn approved(&self, fresh: ClientId) -> Result<Self, InvalidTransition> {
        self.expect(ApplicationStatus::New, ApplicationStatus::Approved)?;
        Ok(Self {
            status: ApplicationStatus::Approved,
            client_id: Some(self.client_id.clone().unwrap_or(fresh)),
            rejection_reason: None,
            ..self.clone()
        })
    }

    /// Rejection by Informat, with its reason: from `new` only.
    pub fn rejected(&self, reason: String) -> Result<Self, InvalidTransition> {
        self.expect(ApplicationStatus::New, ApplicationStatus::Rejected)?;
        Ok(Self { status: ApplicationStatus::Rejected, rejection_reason: Some(reason), ..self.clone() })
    }

    /// Archiving: from any status but `archived`; it is final.
    pub fn archived(&self) -> Result<Self, InvalidTransition> {
        if self.status == ApplicationStatus::Archived {
            return Err(InvalidTransition { from: self.status, to: ApplicationStatus::Archived });
        }
        Ok(Self { status: ApplicationStatus::Archived, ..self.clone() })
    }

    /// The partner's edit: a rejected application goes back to `new` for re-evaluation; an
    /// archived one cannot be edited.
    pub fn edited(&self, fields: ApplicationFields) -> Result<Self, InvalidTransition> {
        let status = match self.status {
            ApplicationStatus::Archived => {
                return Err(InvalidTransition { from: self.status, to: ApplicationStatus::Archived });
            }
            ApplicationStatus::Rejected => ApplicationStatus::New,
            other => other,
        };
        Ok(Self { fields, status, ..self.clone() })
    }

    fn expect(&self, from: ApplicationStatus, to: ApplicationStatus) -> Result<(), InvalidTransition> {
        if self.status == from { Ok(()) } else { Err(InvalidTransition { from: self.status, to }) }
    }
}

/// How long a contact-email confirmation link works.
pub const CONTACT_LINK_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// Whether an application's contact email was shown to belong to someone who wants its mail
/// (issue 21). Until it is, the address gets nothing but its confirmation mail, so a partner
/// cannot make the portal mail an arbitrary address. The partner's own account address counts
/// as confirmed: its activation proved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContactEmail {
    Confirmed,
    /// Not confirmed; `link` is the confirmation link that was issued, if any (applications
    /// stored before issue 21 have none until the partner asks for one).
    Unconfirmed {
        link: Option<ContactLink>,
    },
}

impl Default for ContactEmail {
    /// Applications stored before the rule: nobody confirmed their contact.
    fn default() -> Self {
        Self::Unconfirmed { link: None }
    }
}

/// A confirmation link's token, stored as its hash, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactLink {
    pub token_hash: TokenHash,
    pub expires_at: DateTime<Utc>,
}

/// What a create or an edit does to the contact email's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactDecision {
    /// As it was: the address did not change.
    Keep,
    /// Confirmed at once: it is the acting account's own (activated) address.
    Confirmed,
    /// A new, unconfirmed address: it gets a confirmation link, and only that.
    Confirm,
}

impl ContactEmail {
    pub fn is_confirmed(&self) -> bool {
        matches!(self, Self::Confirmed)
    }

    /// The decision for a create (`before` is `None`) or an edit that sets `contact`, by the
    /// account `actor`.
    pub fn decide(before: Option<&Email>, contact: &Email, actor: &Email) -> ContactDecision {
        match before {
            Some(old) if old == contact => ContactDecision::Keep,
            _ if contact == actor => ContactDecision::Confirmed,
            _ => ContactDecision::Confirm,
        }
    }

    /// Whether `hash` is the hash of this state's live link at `now`. The hashes are compared in
    /// constant time.
    pub fn accepts(&self, hash: &TokenHash, now: DateTime<Utc>) -> bool {
        match self {
            Self::Unconfirmed { link: Some(link) } => now < link.expires_at && link.token_hash.matches(hash),
            _ => false,
        }
    }
}

/// Who gets an application's notifications: always the partner's profile email, the contact
/// email only once it is confirmed, and an address never twice.
pub fn notification_recipients(profile: &Email, contact: &Email, state: &ContactEmail) -> Vec<Email> {
    let mut to = vec![profile.clone()];
    if state.is_confirmed() && contact != profile {
        to.push(contact.clone());
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(status: ApplicationStatus) -> Application {
        let now = Utc::now();
        Application {
            id: ApplicationId::new(),
            partner_id: PartnerId::new(),
            fields: ApplicationFields {
                name: "Planner".into(),
                description: "Plant lessen".into(),
                contact_name: "An".into(),
                contact_email: Email::parse("e", "an@voorbeeld.be").expect("email"),
                apis: BTreeSet::from([Api::Leerlingen]),
            },
            status,
            client_id: None,
            rejection_reason: None,
            secret_created_at: None,
            contact: ContactEmail::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn scopes_and_institutions_have_one_shape() {
        let scope = Scope::parse("Leerlingen:012345").expect("scope");
        assert_eq!(scope.to_string(), "leerlingen:012345");
        assert!(Scope::parse("leerlingen:1234").is_none());
        assert!(Scope::parse("leerlingen:1234567").is_none());
        assert!(Scope::parse("boeken:012345").is_none());
        assert!(Scope::parse("leerlingen012345").is_none());
        assert!(Institution::parse("12345").is_some());
    }

    #[test]
    fn apis_need_one_known_choice() {
        assert_eq!(apis("apis", &[]).expect_err("empty").code, "required");
        assert_eq!(apis("apis", &["boeken".into()]).expect_err("unknown").code, "unknown_api");
        let picked = apis("apis", &["Rekeningen".into(), "leerlingen".into(), "rekeningen".into()]).expect("ok");
        assert_eq!(picked.into_iter().collect::<Vec<_>>(), [Api::Leerlingen, Api::Rekeningen]);
    }

    #[test]
    fn the_status_machine_of_the_manual() {
        let new = app(ApplicationStatus::New);
        let client = ClientId::generate().expect("random");
        let approved = new.approved(client.clone()).expect("approve");
        assert_eq!(approved.client_id, Some(client.clone()));
        assert!(approved.approved(ClientId::generate().expect("random")).is_err(), "approved once");
        assert!(approved.rejected("x".into()).is_err());
        let rejected = new.rejected("Onvolledig".into()).expect("reject");
        let edited = rejected.edited(new.fields.clone()).expect("edit");
        assert_eq!(edited.status, ApplicationStatus::New, "a rejected app that is edited is evaluated again");
        let archived = approved.archived().expect("archive");
        assert!(archived.edited(new.fields.clone()).is_err(), "archived is read-only");
        assert!(archived.archived().is_err());
        // A client id never changes: approving again after a re-evaluation keeps it.
        let again = Application { status: ApplicationStatus::New, ..approved.clone() };
        assert_eq!(again.approved(ClientId::generate().expect("random")).expect("approve").client_id, Some(client));
    }

    #[test]
    fn changes_name_each_api() {
        let before = app(ApplicationStatus::New).fields;
        let mut after = before.clone();
        after.name = "Planner 2".into();
        after.apis = BTreeSet::from([Api::Personeel]);
        let rows: Vec<_> = before.changes(&after).into_iter().map(|(a, p, _, _)| (a, p)).collect();
        use super::super::LogAction::*;
        assert_eq!(
            rows,
            [
                (Updated, "Naam".to_owned()),
                (Removed, "API toegang - Leerlingen".to_owned()),
                (Created, "API toegang - Personeel".to_owned())
            ]
        );
    }

    #[test]
    fn client_ids_of_old_and_new_clients() {
        assert!(ClientId::parse("informat_customer_school").is_some());
        assert!(ClientId::parse("a b").is_none());
        assert!(ClientId::parse("8e7bd2a4-5c3f-4f7e-9d3a-1c2b3a4d5e6f").is_none(), "shaped like a user's sub");
        assert!(ClientId::parse("8e7bd2a45c3f4f7e9d3a1c2b3a4d5e6f").is_some(), "32 hex digits are an old client id");
        assert!(ClientId::parse("").is_none());
        let id = ClientId::generate().expect("random");
        assert!(id.as_str().starts_with("app-") && id.as_str().len() == 28);
    }

    mod contact_email {
        use super::super::*;

        fn e(raw: &str) -> Email {
            Email::parse("e", raw).expect("email")
        }

        #[test]
        fn a_new_or_changed_contact_is_confirmed_unless_it_is_the_actors_own_address() {
            let (me, old, new) = (e("jan@partner.be"), e("oud@elders.be"), e("nieuw@elders.be"));
            assert_eq!(ContactEmail::decide(None, &new, &me), ContactDecision::Confirm);
            assert_eq!(ContactEmail::decide(None, &me, &me), ContactDecision::Confirmed);
            assert_eq!(ContactEmail::decide(Some(&old), &new, &me), ContactDecision::Confirm);
            assert_eq!(ContactEmail::decide(Some(&old), &me, &me), ContactDecision::Confirmed);
            // Saving other fields leaves the state, and sends the address nothing again.
            assert_eq!(ContactEmail::decide(Some(&old), &old, &me), ContactDecision::Keep);
        }

        #[test]
        fn only_the_live_link_of_an_unconfirmed_contact_is_accepted() {
            let now = chrono::Utc::now();
            let token = crate::domain::SecretToken::generate().expect("random");
            let other = crate::domain::SecretToken::generate().expect("random");
            let link = ContactLink { token_hash: token.hash(), expires_at: now + CONTACT_LINK_LIFETIME };
            let state = ContactEmail::Unconfirmed { link: Some(link) };
            assert!(state.accepts(&token.hash(), now));
            assert!(!state.accepts(&other.hash(), now));
            assert!(!state.accepts(&token.hash(), now + CONTACT_LINK_LIFETIME));
            assert!(!ContactEmail::Confirmed.accepts(&token.hash(), now));
            assert!(!ContactEmail::default().accepts(&token.hash(), now));
        }

        #[test]
        fn only_a_confirmed_contact_gets_notifications() {
            let (profile, contact) = (e("jan@partner.be"), e("iemand@elders.be"));
            let unconfirmed = ContactEmail::default();
            assert_eq!(notification_recipients(&profile, &contact, &unconfirmed), vec![profile.clone()]);
            let both = notification_recipients(&profile, &contact, &ContactEmail::Confirmed);
            assert_eq!(both, vec![profile.clone(), contact]);
            let once = notification_recipients(&profile, &profile, &ContactEmail::Confirmed);
            assert_eq!(once, vec![profile.clone()]);
        }

        #[test]
        fn stored_applications_without_the_field_read_as_unconfirmed() {
            let state: ContactEmail = serde_json::from_value(serde_json::json!({"state": "confirmed"})).expect("state");
            assert!(state.is_confirmed());
            assert_eq!(ContactEmail::default(), ContactEmail::Unconfirmed { link: None });
        }
    }
}
