//! Access to a school's data (manual 2.1 step 3, 3.4): a partner asks school administrators by
//! mail, with a link valid for one month; an administrator grants the APIs the application
//! checked, for a school it administers. Rights come from `custom:admin_scopes`, in the same
//! `api:instellingsnummer` syntax that client tokens carry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Api, ApplicationId, ClientId, Email, FieldError, Institution, PartnerId, Scope, TokenHash};

/// At most this many addresses per request (api.md).
pub const MAX_ADDRESSES: usize = 20;

/// At most this many access-request mails per application per UTC day (issue 21).
pub const MAILS_PER_APPLICATION_PER_DAY: u32 = 50;
/// At most this many access-request mails per partner per UTC day, all applications together.
pub const MAILS_PER_PARTNER_PER_DAY: u32 = 100;

/// The day's mail budget that a batch of access requests spends: counted per application, per
/// partner and per address (one mail per address per application per day), by conditional
/// writes in the transaction that stores the requests. The day is the UTC day of `now`; the
/// counters are kept two days longer than it lasts, then the table's TTL removes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailBudget {
    pub day: NaiveDate,
    pub per_application: u32,
    pub per_partner: u32,
    /// When the day's counters may go (their TTL).
    pub expires_at: DateTime<Utc>,
}

impl MailBudget {
    pub fn of(now: DateTime<Utc>) -> Self {
        Self {
            day: now.date_naive(),
            per_application: MAILS_PER_APPLICATION_PER_DAY,
            per_partner: MAILS_PER_PARTNER_PER_DAY,
            expires_at: next_utc_midnight(now) + chrono::Duration::days(2),
        }
    }
}

/// The start of the UTC day after `now`'s: when a spent day's budget is whole again.
pub fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    tomorrow.and_time(NaiveTime::MIN).and_utc()
}

/// Whole seconds from `now` until the budget is whole again (at least 1): the `Retry-After`.
pub fn seconds_until_tomorrow(now: DateTime<Utc>) -> i64 {
    (next_utc_midnight(now) - now).num_seconds().max(1)
}

/// Which of the day's limits a batch of access requests ran into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailLimit {
    /// The application's daily mails: `remaining` could still go today.
    Application { remaining: u32 },
    /// The partner's daily mails, all applications together.
    Partner { remaining: u32 },
    /// These addresses already got a mail for this application today.
    AlreadyMailed(Vec<Email>),
}

impl MailLimit {
    /// The Dutch sentence for the addresses field, given how many addresses were asked.
    pub fn message(&self, asked: usize) -> String {
        match self {
            Self::Application { remaining: 0 } => format!(
                "Voor deze applicatie werden vandaag al {MAILS_PER_APPLICATION_PER_DAY} toegangsaanvragen verstuurd, het maximum per dag. Probeer het morgen opnieuw."
            ),
            Self::Application { remaining } => format!(
                "Voor deze applicatie kunnen vandaag nog {remaining} toegangsaanvragen verstuurd worden (hoogstens {MAILS_PER_APPLICATION_PER_DAY} per dag); je gaf {asked} adressen. Verstuur er minder, of probeer het morgen opnieuw."
            ),
            Self::Partner { remaining: 0 } => format!(
                "Je partnerprofiel verstuurde vandaag al {MAILS_PER_PARTNER_PER_DAY} toegangsaanvragen, het maximum per dag voor al je applicaties samen. Probeer het morgen opnieuw."
            ),
            Self::Partner { remaining } => format!(
                "Je partnerprofiel kan vandaag nog {remaining} toegangsaanvragen versturen (hoogstens {MAILS_PER_PARTNER_PER_DAY} per dag voor al je applicaties samen); je gaf {asked} adressen. Verstuur er minder, of probeer het morgen opnieuw."
            ),
            Self::AlreadyMailed(addresses) => {
                let list = addresses.iter().map(Email::as_str).collect::<Vec<_>>().join(", ");
                let noun = if addresses.len() == 1 { "dit adres" } else { "deze adressen" };
                format!(
                    "Naar {noun} werd vandaag al een toegangsaanvraag voor deze applicatie gestuurd: {list}. Er gaat hoogstens één mail per adres per dag; de link in die mail blijft een maand geldig. Haal {noun} uit de lijst of probeer het morgen opnieuw."
                )
            }
        }
    }

    /// The field code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Application { .. } => "daily_limit_application",
            Self::Partner { .. } => "daily_limit_partner",
            Self::AlreadyMailed(_) => "already_requested_today",
        }
    }
}

/// When a link sent at `sent` stops working: one calendar month later (manual 3.4).
pub fn link_expiry(sent: DateTime<Utc>) -> DateTime<Utc> {
    sent.checked_add_months(Months::new(1)).unwrap_or(sent + chrono::Duration::days(31))
}

/// The addresses of a request: "a@school.be; b@school.be", or a list. Each is checked; the
/// error names the one that is wrong. The same address twice counts once.
pub fn parse_addresses(raw: &[String]) -> Result<Vec<Email>, FieldError> {
    let mut addresses: Vec<Email> = Vec::new();
    for part in raw.iter().flat_map(|r| r.split(';')).map(str::trim).filter(|p| !p.is_empty()) {
        let email = Email::parse("emails", part).map_err(|e| {
            if e.code == "invalid_characters" {
                return e;
            }
            FieldError::new(
                "emails",
                "invalid_email",
                format!("{part} is geen geldig e-mailadres. Scheid meerdere adressen met een puntkomma."),
            )
        })?;
        if !addresses.contains(&email) {
            addresses.push(email);
        }
    }
    if addresses.is_empty() {
        return Err(FieldError::new("emails", "required", "Geef het e-mailadres van minstens een schoolbeheerder."));
    }
    if addresses.len() > MAX_ADDRESSES {
        return Err(FieldError::new(
            "emails",
            "too_many",
            format!(
                "Stuur een aanvraag naar hoogstens {MAX_ADDRESSES} adressen tegelijk; je gaf er {}.",
                addresses.len()
            ),
        ));
    }
    Ok(addresses)
}

/// The identifier of an access request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccessRequestId(String);

impl AccessRequestId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}

impl Default for AccessRequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AccessRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessRequestStatus {
    Pending,
    Expired,
}

impl AccessRequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
        }
    }
}

/// One address asked for access to one application's data. The link's token is stored only as
/// its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: AccessRequestId,
    pub token_hash: TokenHash,
    pub application_id: ApplicationId,
    pub partner_id: PartnerId,
    /// The application's client when the request was sent (a client id is the application's
    /// for good): a grant reads the client together with the application. `None` in requests
    /// stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    pub email: Email,
    /// The partner user who sent it.
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: AccessRequestStatus,
    /// The schools that granted access through this request.
    #[serde(default)]
    pub granted: BTreeSet<Institution>,
    pub version: u64,
}

impl AccessRequest {
    /// The status at `now`: a request past its month is expired even before the job marked it.
    pub fn status_at(&self, now: DateTime<Utc>) -> AccessRequestStatus {
        if self.status == AccessRequestStatus::Expired || now >= self.expires_at {
            AccessRequestStatus::Expired
        } else {
            AccessRequestStatus::Pending
        }
    }
}

/// A school administrator, from its ID token of Informat's identity provider: who it is and
/// where it has rights. Only the edge (`crate::http::school_admin`) makes one, from a verified token.
#[derive(Debug, Clone)]
pub struct SchoolAdmin {
    pub email: Email,
    pub rights: AdminRights,
}

/// What a school administrator may grant: the scopes in the rights claim of its Informat ID token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminRights(BTreeSet<Scope>);

impl AdminRights {
    /// Parses the claim (space- or comma-separated scopes); anything that is not a scope grants nothing.
    pub fn parse(claim: &str) -> Self {
        Self(claim.split([' ', ',']).filter_map(Scope::parse).collect())
    }

    pub fn allows(&self, api: Api, institution: &Institution) -> bool {
        self.0.contains(&Scope { api, institution: institution.clone() })
    }

    /// Whether it administers anything at `institution`.
    pub fn administers(&self, institution: &Institution) -> bool {
        self.0.iter().any(|s| &s.institution == institution)
    }
}

/// "This client has access at this school": the per-school index of grants, with when and by
/// whom each API was granted here. The scopes themselves live on the client (one read for the
/// token endpoint); this item makes a school's applications one Query. It exists only while the
/// client holds a scope at the school: a full revoke removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolAccess {
    pub client_id: ClientId,
    pub institution: Institution,
    /// Per API granted here: when and by whom. A revoked API is removed; a later grant starts
    /// anew. (Items written before grants were kept per API have none: unknown.)
    #[serde(default)]
    pub grants: BTreeMap<Api, Grant>,
    /// The last change at this school.
    pub updated_at: DateTime<Utc>,
}

/// When and by whom one API was granted at one school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub granted_at: DateTime<Utc>,
    /// The administrator's email, or `import` for the scopes of an imported client.
    pub granted_by: String,
}

impl SchoolAccess {
    /// The record after this school's APIs went from `before` to `after` by `user` at `now`: an
    /// API kept keeps its grant, an added one is granted now by `user`, a removed one is gone.
    /// `None` when nothing is left at the school (the record is removed).
    pub fn changed(
        known: Option<&Self>,
        client_id: &ClientId,
        institution: &Institution,
        (before, after): (&BTreeSet<Api>, &BTreeSet<Api>),
        user: &str,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        if after.is_empty() {
            return None;
        }
        let grants = after
            .iter()
            .filter_map(|api| {
                // A kept API keeps its grant (unknown stays unknown: a record from before grants
                // were kept per API); an added one is granted now.
                let grant = if before.contains(api) {
                    known.and_then(|k| k.grants.get(api)).cloned()
                } else {
                    Some(Grant { granted_at: now, granted_by: user.to_owned() })
                };
                grant.map(|g| (*api, g))
            })
            .collect();
        Some(Self { client_id: client_id.clone(), institution: institution.clone(), grants, updated_at: now })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_budget_is_whole_again_at_the_next_utc_midnight() {
        let at = |raw: &str| DateTime::parse_from_rfc3339(raw).expect("time").with_timezone(&Utc);
        let now = at("2026-12-07T09:30:00Z");
        let budget = MailBudget::of(now);
        assert_eq!(budget.day.to_string(), "2026-12-07");
        assert_eq!((budget.per_application, budget.per_partner), (50, 100));
        assert_eq!(next_utc_midnight(now), at("2026-12-08T00:00:00Z"));
        assert_eq!(budget.expires_at, at("2026-12-10T00:00:00Z"));
        assert_eq!(seconds_until_tomorrow(now), 14 * 3600 + 30 * 60);
        // A second before midnight still waits a second; midnight itself starts a new day.
        assert_eq!(seconds_until_tomorrow(at("2026-12-07T23:59:59Z")), 1);
        assert_eq!(seconds_until_tomorrow(at("2026-12-08T00:00:00Z")), 86_400);
        assert_eq!(MailBudget::of(at("2026-12-31T23:00:00Z")).day.to_string(), "2026-12-31");
        assert_eq!(next_utc_midnight(at("2026-12-31T23:00:00Z")), at("2027-01-01T00:00:00Z"));
    }

    #[test]
    fn a_limit_says_what_is_left_and_which_addresses_already_had_a_mail() {
        let remaining = MailLimit::Application { remaining: 3 }.message(5);
        assert!(remaining.contains("nog 3") && remaining.contains("je gaf 5"), "{remaining}");
        assert!(MailLimit::Application { remaining: 0 }.message(1).contains("al 50"));
        assert!(MailLimit::Partner { remaining: 0 }.message(1).contains("al 100"));
        assert!(MailLimit::Partner { remaining: 7 }.message(9).contains("nog 7"));
        let one = MailLimit::AlreadyMailed(vec![Email::parse("e", "a@school.be").expect("email")]);
        assert!(one.message(1).contains("dit adres werd vandaag al") && one.message(1).contains("a@school.be"));
        assert_eq!(one.code(), "already_requested_today");
    }

    #[test]
    fn addresses_are_split_checked_and_deduplicated() {
        let parsed = parse_addresses(&["a@school.be; B@school.be ;a@school.be;".into()]).expect("valid");
        assert_eq!(parsed.iter().map(Email::as_str).collect::<Vec<_>>(), ["a@school.be", "b@school.be"]);
        let err = parse_addresses(&["a@school.be; geen-adres".into()]).expect_err("invalid");
        assert!(err.message.contains("geen-adres"), "{}", err.message);
        assert_eq!(parse_addresses(&[" ; ".into()]).expect_err("empty").code, "required");
        let many: Vec<String> = (0..21).map(|i| format!("b{i}@school.be")).collect();
        assert_eq!(parse_addresses(&many).expect_err("too many").code, "too_many");
    }

    #[test]
    fn a_month_is_a_calendar_month() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        assert_eq!(link_expiry(at("2026-01-31T10:00:00Z")), at("2026-02-28T10:00:00Z"));
        assert_eq!(link_expiry(at("2026-05-07T13:53:16Z")), at("2026-06-07T13:53:16Z"));
    }

    #[test]
    fn rights_are_per_api_and_institution() {
        let rights = AdminRights::parse("leerlingen:012345 personeel:012345,rekeningen:54321 onzin");
        let school = Institution::parse("012345").expect("inst");
        assert!(rights.allows(Api::parse("leerlingen").expect("api"), &school));
        assert!(!rights.allows(Api::parse("rekeningen").expect("api"), &school));
        assert!(rights.administers(&school));
        assert!(!rights.administers(&Institution::parse("99999").expect("inst")));
    }

    #[test]
    fn grants_are_kept_per_api_and_start_anew_after_a_revoke() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        let client = ClientId::parse("c").expect("client");
        let school = Institution::parse("012345").expect("inst");
        let set = |apis: &[Api]| apis.iter().copied().collect::<BTreeSet<Api>>();
        let (none, l, lp, p) =
            (set(&[]), set(&[Api::Leerlingen]), set(&[Api::Leerlingen, Api::Personeel]), set(&[Api::Personeel]));
        let t1 = at("2026-05-01T10:00:00Z");
        let first = SchoolAccess::changed(None, &client, &school, (&none, &l), "a@school.be", t1).expect("granted");
        let t2 = at("2026-05-02T10:00:00Z");
        let second = SchoolAccess::changed(Some(&first), &client, &school, (&l, &lp), "b@school.be", t2).expect("more");
        let grant = |s: &SchoolAccess, api| s.grants.get(&api).map(|g| (g.granted_at, g.granted_by.clone()));
        assert_eq!(grant(&second, Api::Leerlingen), Some((t1, "a@school.be".into())), "a kept API keeps its grant");
        assert_eq!(grant(&second, Api::Personeel), Some((t2, "b@school.be".into())));
        let t3 = at("2026-05-03T10:00:00Z");
        let third = SchoolAccess::changed(Some(&second), &client, &school, (&lp, &p), "c@school.be", t3).expect("less");
        assert_eq!(third.grants.keys().copied().collect::<Vec<_>>(), [Api::Personeel], "a revoked API is gone");
        assert_eq!(SchoolAccess::changed(Some(&third), &client, &school, (&p, &none), "c@school.be", t3), None);
        let t4 = at("2026-05-04T10:00:00Z");
        let again = SchoolAccess::changed(Some(&third), &client, &school, (&p, &lp), "d@school.be", t4).expect("again");
        assert_eq!(grant(&again, Api::Leerlingen), Some((t4, "d@school.be".into())), "a later grant starts anew");
    }
}
