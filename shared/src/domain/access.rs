//! Access to a school's data (manual 2.1 step 3, 3.4): a partner asks school administrators by
//! mail, with a link valid for one month; an administrator grants the APIs the application
//! checked, for a school it administers. Rights come from `custom:admin_scopes`, in the same
//! `api:instellingsnummer` syntax that client tokens carry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use super::{Api, ApplicationId, ClientId, Email, FieldError, Institution, PartnerId, Scope, TokenHash};

/// At most this many addresses per request (api.md).
pub const MAX_ADDRESSES: usize = 20;

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

/// What a school administrator may grant: the scopes in its `custom:admin_scopes` claim.
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
