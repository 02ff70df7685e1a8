//! A school administrator's change of an application's access at one school (manual 3.4):
//! granting through a request's link, or setting (narrowing, widening, revoking) on the
//! school's page. [`decide_access`] is the whole rule; the operation reads, writes what it
//! plans and mails.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{
    AccessRequest, Api, Application, ApplicationStatus, Change, Client, ClientId, FieldError, Institution, LogAction,
    LogEntry, Refusal, SchoolAccess, SchoolAdmin, Scope,
};

/// What the administrator asks for at the school.
#[derive(Debug, Clone, Copy)]
pub enum AccessAsk<'a> {
    /// Grant `apis` through `request`'s link: added to what the school granted before, which stays.
    Grant { request: &'a AccessRequest, apis: &'a BTreeSet<Api> },
    /// Set the school's APIs to `apis` for an application that has access here (empty revokes).
    Set { apis: &'a BTreeSet<Api> },
}

/// What the change is decided on, as read.
#[derive(Debug, Clone, Copy)]
pub struct AccessState<'a> {
    pub application: &'a Application,
    /// Whether the partner is active; a profile that could not be read counts as not active.
    pub partner_active: bool,
    /// The application's client, with every school's scopes.
    pub client: &'a Client,
    /// This school's record of the client's grants, if it has one.
    pub known: Option<&'a SchoolAccess>,
}

/// The write a change plans, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPlan {
    /// The school's APIs before and after.
    pub before: BTreeSet<Api>,
    pub after: BTreeSet<Api>,
    /// The client with its scopes at this school replaced.
    pub client: Client,
    /// This school's record after the change; `None`: nothing is left here, it is removed.
    pub school: Option<SchoolAccess>,
    /// The request after a grant through it (this school added to those that granted).
    pub request: Option<AccessRequest>,
    /// One log entry per scope granted or revoked.
    pub log: Vec<LogEntry>,
    pub change: Change,
}

/// The outcome of [`decide_access`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessDecision {
    /// Nothing to write: the school's APIs are these already (and a request already counts it).
    Unchanged(BTreeSet<Api>),
    Changed(Box<AccessPlan>),
}

/// 409 `application_not_approved`: access is asked for or granted only once Informat approved.
pub fn not_approved() -> Refusal {
    Refusal::conflict(
        "application_not_approved",
        "Toegang tot schoolgegevens kan pas gevraagd of verleend worden als Informat de applicatie heeft goedgekeurd.",
    )
}

fn no_longer_approved() -> Refusal {
    Refusal::conflict(
        "application_not_approved",
        "Deze applicatie is niet (meer) goedgekeurd door Informat: haar toegang tot de gegevens van de school kan niet meer gewijzigd worden.",
    )
}

fn not_school_admin(detail: String) -> Refusal {
    Refusal::Denied { code: "not_school_admin", detail }
}

/// 403 `not_school_admin` unless `admin` has rights at `institution`.
pub fn administers(admin: &SchoolAdmin, institution: &Institution) -> Result<(), Refusal> {
    if admin.rights.administers(institution) {
        Ok(())
    } else {
        Err(not_school_admin(format!("Je bent geen schoolbeheerder van instelling {}.", institution.as_str())))
    }
}

/// A grant through a link needs an approved application of an active partner and at least one
/// API: checked before the APIs themselves.
fn may_grant(app: &Application, partner_active: bool, apis: &BTreeSet<Api>) -> Result<(), Refusal> {
    if app.status != ApplicationStatus::Approved {
        return Err(not_approved());
    }
    if !partner_active {
        return Err(Refusal::PartnerInactive);
    }
    if apis.is_empty() {
        return Err(FieldError::new("apis", "required", "Kies minstens een API om toegang tot te verlenen.").into());
    }
    Ok(())
}

/// `apis` each checked by the application (400), and each of `changed` within the
/// administrator's rights at `institution` (403).
fn check_apis(
    app: &Application,
    admin: &SchoolAdmin,
    institution: &Institution,
    apis: &BTreeSet<Api>,
    changed: &BTreeSet<Api>,
) -> Result<(), Refusal> {
    if let Some(api) = apis.iter().find(|api| !app.fields.apis.contains(api)) {
        return Err(FieldError::new(
            "apis",
            "not_checked",
            format!(
                "De applicatie vraagt geen toegang tot {}: je kan alleen de API's verlenen die de applicatie heeft aangevinkt ({}).",
                api.label(),
                app.fields.apis.iter().map(|a| a.label()).collect::<Vec<_>>().join(", ")
            ),
        )
        .into());
    }
    if let Some(api) = changed.iter().find(|api| !admin.rights.allows(**api, institution)) {
        return Err(not_school_admin(format!(
            "Je hebt geen beheerdersrechten voor {} van instelling {}.",
            api.label(),
            institution.as_str()
        )));
    }
    Ok(())
}

/// The client's APIs at `institution`.
fn apis_at(client: &Client, institution: &Institution) -> BTreeSet<Api> {
    client.scopes.iter().filter(|s| &s.institution == institution).map(|s| s.api).collect()
}

/// The client's scopes at `institution` replaced by `apis` there.
fn with_scopes_at(client: &Client, institution: &Institution, apis: &BTreeSet<Api>, now: DateTime<Utc>) -> Client {
    let mut scopes: BTreeSet<Scope> = client.scopes.iter().filter(|s| &s.institution != institution).cloned().collect();
    scopes.extend(apis.iter().map(|api| Scope { api: *api, institution: institution.clone() }));
    Client { scopes, updated_at: now, version: client.version + 1, ..client.clone() }
}

/// One log entry per scope granted or revoked.
fn scope_changes(
    before: &BTreeSet<Api>,
    after: &BTreeSet<Api>,
    institution: &Institution,
    user: &str,
    now: DateTime<Utc>,
) -> Vec<LogEntry> {
    let scope = |api: &Api| Scope { api: *api, institution: institution.clone() }.to_string();
    let granted = after
        .difference(before)
        .map(|api| LogEntry::new(now, LogAction::Granted, "Scope", user, None, Some(scope(api))));
    let revoked = before
        .difference(after)
        .map(|api| LogEntry::new(now, LogAction::Revoked, "Scope", user, Some(scope(api)), None));
    granted.chain(revoked).collect()
}

/// The school's APIs after `ask`, or why not. A grant needs the right for every API it names
/// (also one the school granted before); a change on the school's page needs it for what it
/// adds or removes, and may narrow or revoke a deactivated partner's access but never widen it.
fn planned(
    state: &AccessState<'_>,
    admin: &SchoolAdmin,
    institution: &Institution,
    ask: AccessAsk<'_>,
    before: &BTreeSet<Api>,
) -> Result<BTreeSet<Api>, Refusal> {
    let app = state.application;
    match ask {
        AccessAsk::Grant { apis, .. } => {
            may_grant(app, state.partner_active, apis)?;
            check_apis(app, admin, institution, apis, apis)?;
            Ok(before.union(apis).copied().collect())
        }
        AccessAsk::Set { apis } => {
            // No new school without an invitation (manual 3.4).
            if before.is_empty() {
                return Err(Refusal::NotFound);
            }
            // An archived application's client no longer works: its access is not changed any more.
            if app.status != ApplicationStatus::Approved {
                return Err(no_longer_approved());
            }
            let changed: BTreeSet<Api> = before.symmetric_difference(apis).copied().collect();
            let added: BTreeSet<Api> = changed.intersection(apis).copied().collect();
            check_apis(app, admin, institution, &added, &changed)?;
            if !added.is_empty() && !state.partner_active {
                return Err(Refusal::PartnerInactive);
            }
            Ok(apis.clone())
        }
    }
}

/// Decides `admin`'s `ask` at `institution` on `state` at `now`.
pub fn decide_access(
    state: &AccessState<'_>,
    admin: &SchoolAdmin,
    institution: &Institution,
    ask: AccessAsk<'_>,
    now: DateTime<Utc>,
) -> Result<AccessDecision, Refusal> {
    let app = state.application;
    let client_id: &ClientId = &state.client.id;
    let before = apis_at(state.client, institution);
    let after = planned(state, admin, institution, ask, &before)?;
    let user = admin.email.to_string();
    let log = scope_changes(&before, &after, institution, &user, now);
    let request = match ask {
        AccessAsk::Grant { request, .. } => Some(request),
        AccessAsk::Set { .. } => None,
    };
    let request_changes = request.is_some_and(|r| !r.granted.contains(institution));
    if log.is_empty() && !request_changes {
        return Ok(AccessDecision::Unchanged(before));
    }
    let request_after = request.map(|r| {
        let mut granted = r.granted.clone();
        granted.insert(institution.clone());
        AccessRequest { granted, version: r.version + 1, ..r.clone() }
    });
    let (application, partner, client) = (app.id.clone(), app.partner_id.clone(), client_id.clone());
    let (was, is, by, institution_id) = (before.clone(), after.clone(), user.clone(), institution.clone());
    let change = match request {
        Some(request) => Change::AccessGranted {
            application,
            partner,
            client,
            institution: institution_id,
            request: request.id.clone(),
            before: was,
            after: is,
            by,
            at: now,
        },
        None => Change::AccessChanged {
            application,
            partner,
            client,
            institution: institution_id,
            before: was,
            after: is,
            by,
            at: now,
        },
    };
    Ok(AccessDecision::Changed(Box::new(AccessPlan {
        client: with_scopes_at(state.client, institution, &after, now),
        school: SchoolAccess::changed(state.known, client_id, institution, (&before, &after), &user, now),
        request: request_after,
        log,
        change,
        before,
        after,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{self, at};
    use crate::domain::{AccessRequestId, AccessRequestStatus, AdminRights, Email, SecretToken};

    fn school() -> Institution {
        Institution::parse("012345").expect("institution")
    }

    fn set(apis: &[Api]) -> BTreeSet<Api> {
        apis.iter().copied().collect()
    }

    fn admin(rights: &str) -> SchoolAdmin {
        SchoolAdmin {
            email: Email::parse("email", "beheer@school.be").expect("email"),
            rights: AdminRights::parse(rights),
        }
    }

    fn application(status: ApplicationStatus, apis: &[Api]) -> Application {
        Application {
            client_id: Some(ClientId::parse("client-1").expect("client")),
            version: 3,
            ..fixtures::application(status, apis)
        }
    }

    fn client(scopes: &[&str]) -> Client {
        let scopes = scopes.iter().map(|s| Scope::parse(s).expect("scope")).collect();
        Client { scopes, version: 7, ..fixtures::client("client-1") }
    }

    fn request(app: &Application) -> AccessRequest {
        let t = fixtures::made();
        AccessRequest {
            id: AccessRequestId::new(),
            token_hash: SecretToken::generate().expect("random").hash(),
            application_id: app.id.clone(),
            partner_id: app.partner_id.clone(),
            client_id: app.client_id.clone(),
            email: Email::parse("email", "beheer@school.be").expect("email"),
            requested_by: "dev@planner.be".into(),
            created_at: t,
            expires_at: at("2026-06-01T10:00:00Z"),
            status: AccessRequestStatus::Pending,
            granted: BTreeSet::new(),
            version: 1,
        }
    }

    fn state<'a>(app: &'a Application, client: &'a Client) -> AccessState<'a> {
        AccessState { application: app, partner_active: true, client, known: None }
    }

    fn changed(decision: AccessDecision) -> AccessPlan {
        match decision {
            AccessDecision::Changed(plan) => *plan,
            AccessDecision::Unchanged(apis) => panic!("expected a change, got none (still {apis:?})"),
        }
    }

    #[test]
    fn a_grant_adds_to_what_the_school_had_and_says_so() {
        let app = application(ApplicationStatus::Approved, &[Api::Leerlingen, Api::Personeel]);
        let client = client(&["leerlingen:012345", "personeel:99999"]);
        let request = request(&app);
        let apis = set(&[Api::Personeel]);
        let now = at("2026-05-02T10:00:00Z");
        let admin = admin("leerlingen:012345 personeel:012345");
        let ask = AccessAsk::Grant { request: &request, apis: &apis };
        let plan = changed(decide_access(&state(&app, &client), &admin, &school(), ask, now).expect("allowed"));
        assert_eq!(
            (plan.before.clone(), plan.after.clone()),
            (set(&[Api::Leerlingen]), set(&[Api::Leerlingen, Api::Personeel]))
        );
        let scopes: Vec<String> = plan.client.scopes.iter().map(Scope::to_string).collect();
        assert_eq!(scopes, ["leerlingen:012345", "personeel:012345", "personeel:99999"], "other schools stay");
        assert_eq!((plan.client.version, plan.client.updated_at), (8, now));
        assert_eq!(plan.log.len(), 1);
        assert_eq!((plan.log[0].action, plan.log[0].to.as_deref()), (LogAction::Granted, Some("personeel:012345")));
        let counted = plan.request.expect("the request counts the school");
        assert!(counted.granted.contains(&school()) && counted.version == 2);
        assert!(matches!(
            plan.change,
            Change::AccessGranted { request: ref id, ref before, ref after, ref by, at: when, .. }
                if *id == request.id && before == &set(&[Api::Leerlingen]) && after.len() == 2
                    && by == "beheer@school.be" && when == now
        ));
        assert_eq!(plan.school.expect("a record").grants.keys().copied().collect::<Vec<_>>(), [Api::Personeel]);
    }

    #[test]
    fn a_grant_needs_an_approved_application_an_active_partner_apis_and_the_rights() {
        let now = at("2026-05-02T10:00:00Z");
        let client = client(&[]);
        let apis = set(&[Api::Leerlingen]);
        let rights = admin("leerlingen:012345");
        let grant = |app: &Application, partner_active: bool, apis: &BTreeSet<Api>, admin: &SchoolAdmin| {
            let request = request(app);
            let state = AccessState { application: app, partner_active, client: &client, known: None };
            decide_access(&state, admin, &school(), AccessAsk::Grant { request: &request, apis }, now)
        };
        let new = application(ApplicationStatus::New, &[Api::Leerlingen]);
        assert!(matches!(
            grant(&new, true, &apis, &rights),
            Err(Refusal::Conflict { code: "application_not_approved", .. })
        ));
        let app = application(ApplicationStatus::Approved, &[Api::Leerlingen, Api::Personeel]);
        assert_eq!(grant(&app, false, &apis, &rights), Err(Refusal::PartnerInactive));
        assert!(matches!(
            grant(&app, true, &set(&[]), &rights),
            Err(Refusal::Invalid(FieldError { code: "required", .. }))
        ));
        let unchecked = set(&[Api::Rekeningen]);
        let Err(Refusal::Invalid(e)) = grant(&app, true, &unchecked, &admin("rekeningen:012345")) else {
            panic!("an API the application did not check")
        };
        assert!(e.code == "not_checked" && e.message.contains("Leerlingen"), "{e:?}");
        let Err(Refusal::Denied { code, detail }) = grant(&app, true, &set(&[Api::Personeel]), &rights) else {
            panic!("beyond the rights")
        };
        assert_eq!(code, "not_school_admin");
        assert!(detail.contains("012345"), "{detail}");
    }

    #[test]
    fn a_grant_of_what_the_school_has_through_a_request_it_already_granted_writes_nothing() {
        let app = application(ApplicationStatus::Approved, &[Api::Leerlingen]);
        let client = client(&["leerlingen:012345"]);
        let mut request = request(&app);
        let apis = set(&[Api::Leerlingen]);
        let admin = admin("leerlingen:012345");
        let now = at("2026-05-02T10:00:00Z");
        // The first time through this request it still counts the school: a write.
        let first = decide_access(
            &state(&app, &client),
            &admin,
            &school(),
            AccessAsk::Grant { request: &request, apis: &apis },
            now,
        );
        let plan = changed(first.expect("allowed"));
        assert!(plan.log.is_empty() && plan.request.is_some());
        request.granted.insert(school());
        let again = decide_access(
            &state(&app, &client),
            &admin,
            &school(),
            AccessAsk::Grant { request: &request, apis: &apis },
            now,
        );
        assert_eq!(again, Ok(AccessDecision::Unchanged(apis.clone())));
    }

    #[test]
    fn the_school_page_narrows_and_revokes_but_adds_nothing_for_a_deactivated_partner() {
        let app = application(ApplicationStatus::Approved, &[Api::Leerlingen, Api::Personeel]);
        let both = client(&["leerlingen:012345", "personeel:012345"]);
        let admin = admin("leerlingen:012345 personeel:012345");
        let now = at("2026-05-02T10:00:00Z");
        let inactive = AccessState { partner_active: false, ..state(&app, &both) };
        let none = set(&[]);
        let plan = changed(
            decide_access(&inactive, &admin, &school(), AccessAsk::Set { apis: &none }, now).expect("a revoke"),
        );
        assert_eq!(plan.school, None, "nothing left: the school's record goes");
        assert_eq!(plan.log.iter().filter(|e| e.action == LogAction::Revoked).count(), 2);
        assert!(plan.client.scopes.is_empty() && plan.request.is_none());
        assert!(matches!(plan.change, Change::AccessChanged { ref after, .. } if after.is_empty()));

        let only = set(&[Api::Personeel]);
        let narrow = changed(
            decide_access(&inactive, &admin, &school(), AccessAsk::Set { apis: &only }, now).expect("narrowed"),
        );
        assert_eq!(narrow.after, only);

        let only_l = client(&["leerlingen:012345"]);
        let widen = set(&[Api::Leerlingen, Api::Personeel]);
        let inactive = AccessState { partner_active: false, ..state(&app, &only_l) };
        assert_eq!(
            decide_access(&inactive, &admin, &school(), AccessAsk::Set { apis: &widen }, now),
            Err(Refusal::PartnerInactive)
        );
    }

    #[test]
    fn the_school_page_changes_only_what_has_access_here_while_approved_and_within_the_rights() {
        let now = at("2026-05-02T10:00:00Z");
        let admin = admin("leerlingen:012345");
        let app = application(ApplicationStatus::Approved, &[Api::Leerlingen, Api::Personeel]);
        let elsewhere = client(&["leerlingen:99999"]);
        let apis = set(&[Api::Leerlingen]);
        assert_eq!(
            decide_access(&state(&app, &elsewhere), &admin, &school(), AccessAsk::Set { apis: &apis }, now),
            Err(Refusal::NotFound),
            "no access here: no new school without an invitation"
        );
        let here = client(&["leerlingen:012345", "personeel:012345"]);
        let archived = application(ApplicationStatus::Archived, &[Api::Leerlingen, Api::Personeel]);
        assert!(matches!(
            decide_access(&state(&archived, &here), &admin, &school(), AccessAsk::Set { apis: &apis }, now),
            Err(Refusal::Conflict { code: "application_not_approved", ref detail }) if detail.contains("niet (meer)")
        ));
        // Removing personeel needs the right for personeel, which this administrator lacks.
        assert!(matches!(
            decide_access(&state(&app, &here), &admin, &school(), AccessAsk::Set { apis: &apis }, now),
            Err(Refusal::Denied { code: "not_school_admin", .. })
        ));
        let same = set(&[Api::Leerlingen, Api::Personeel]);
        assert_eq!(
            decide_access(&state(&app, &here), &admin, &school(), AccessAsk::Set { apis: &same }, now),
            Ok(AccessDecision::Unchanged(same.clone())),
            "setting what is there writes nothing, and needs no right for it"
        );
    }
}
