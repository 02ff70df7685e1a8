//! Access to schools' data (manual 2.1 step 3, 3.4; api.md "Back office: school administrators"
//! and the access-request rows): requests by mail, grants by school administrators within their
//! rights, changes at a school, and the monthly expiry of links. Granted scopes live on the
//! client, so the next token carries them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::deps::Deps;
use crate::domain::{AccessAsk, AccessDecision, AccessState, Caller, Change, administers, decide_access, not_approved};
use crate::domain::{
    AccessRequest, AccessRequestId, AccessRequestStatus, Api, Application, ApplicationId, ApplicationStatus, Client,
    ClientId, Email, FieldError, Institution, LogAction, LogEntry, MailBudget, Profile, SYSTEM, SchoolAccess,
    SchoolAdmin, Scope, SecretToken, link_expiry, seconds_until_tomorrow,
};
use crate::error::AppError;
use crate::mail;
use crate::operations::common::{Tries, active_partner, linked_account, notify, own};
use crate::ports::{AccessWrite, RequestsStored, SchoolIndex, Stale, StoreError};

/// The log property of a request (the manual's Logs tab: "Toegangsaanvraag bij schoolbeheerder").
pub const REQUEST_PROPERTY: &str = "Toegangsaanvraag bij schoolbeheerder";
/// How many days back the expiry job looks: it runs daily, so a week covers missed runs.
pub const EXPIRY_LOOKBACK_DAYS: i64 = 7;
/// How many expiries the job writes at once (each a small transaction on its own request).
const EXPIRY_CONCURRENCY: usize = 8;

/// A sent request and its link (shown to the partner once, and in the logs).
pub struct SentRequest {
    pub request: AccessRequest,
    pub link: String,
}

fn link(deps: &Deps, token: &SecretToken) -> String {
    format!("{}/toegang/{}", deps.config.backoffice_url, token.expose())
}

/// POST /applications/{id}/access-requests: one request, one link and one mail per address.
/// The requests and their log entries (address and link) are stored first, so a failed send
/// loses nothing: the log then says the send failed and the partner can forward the link.
pub async fn create_access_requests(
    deps: &Deps,
    account: &Caller,
    id: &str,
    addresses: Vec<Email>,
) -> Result<Vec<SentRequest>, AppError> {
    let (editor, partner) = linked_account(deps, account).await?;
    // The application and the profile do not depend on each other: read together. Their
    // outcomes count in the order they were read in before (404 before 409).
    let (app, profile) = futures::join!(own(deps, &partner, id), active_partner(deps, &partner));
    let app = app?;
    let profile = profile?;
    if app.status != ApplicationStatus::Approved {
        return Err(not_approved().into());
    }
    let now = deps.clock.now();
    let user = editor.email.to_string();
    let mut sent = Vec::new();
    let mut log = Vec::new();
    for email in addresses {
        let token = SecretToken::generate()?;
        let link = link(deps, &token);
        log.push(LogEntry::new(
            now,
            LogAction::Created,
            REQUEST_PROPERTY,
            &user,
            None,
            Some(format!("{email}: {link}")),
        ));
        let request = AccessRequest {
            id: AccessRequestId::new(),
            token_hash: token.hash(),
            application_id: app.id.clone(),
            partner_id: partner.clone(),
            client_id: app.client_id.clone(),
            email,
            requested_by: user.clone(),
            created_at: now,
            expires_at: link_expiry(now),
            status: AccessRequestStatus::Pending,
            granted: BTreeSet::new(),
            version: 1,
        };
        sent.push(SentRequest { request, link });
    }
    let requests: Vec<AccessRequest> = sent.iter().map(|s| s.request.clone()).collect();
    let change = Change::AccessRequested {
        application: app.id.clone(),
        partner: partner.clone(),
        requests: requests.iter().map(|r| r.id.clone()).collect(),
        by: user.clone(),
        at: now,
    };
    match deps.access.create_access_requests(&requests, &log, &MailBudget::of(now), &change).await? {
        RequestsStored::Yes => {}
        RequestsStored::PartnerInactive => return Err(AppError::partner_inactive()),
        RequestsStored::Limited(limit) => {
            tracing::warn!(application = %app.id, partner = %partner, limit = limit.code(), "access requests refused: daily limit");
            return Err(AppError::Limited {
                code: "too_many_access_requests",
                field: FieldError::new("emails", limit.code(), limit.message(requests.len())),
                retry_after_seconds: seconds_until_tomorrow(now),
            });
        }
    }
    tracing::info!(application = %app.id, requests = sent.len(), "access requests stored");
    // The mails go out together; each one that did not leave is logged.
    let delivered = futures::future::join_all(sent.iter().map(|s| async {
        let r = &s.request;
        match mail::access_request(
            &deps.config.mail_from_access,
            &r.email,
            &app,
            profile.fields.name.as_str(),
            &user,
            &s.link,
            r.expires_at,
        ) {
            Ok(message) => mail::deliver(deps.mailer.as_ref(), "access_request", &message).await,
            Err(e) => {
                tracing::error!(error = %e, "access-request mail did not render");
                false
            }
        }
    }))
    .await;
    let failed: Vec<LogEntry> = sent
        .iter()
        .zip(delivered)
        .filter(|(_, delivered)| !delivered)
        .map(|(s, _)| {
            LogEntry::new(
                deps.clock.now(),
                LogAction::Sent,
                &format!("{REQUEST_PROPERTY}: verzenden mislukt"),
                SYSTEM,
                None,
                Some(format!("{}: kopieer de link hierboven en stuur hem zelf door", s.request.email)),
            )
        })
        .collect();
    if !failed.is_empty() {
        // Only when a send failed: the entries in one call, so they keep their order in the log.
        deps.access.append_application_log(&partner, &app.id, &failed).await?;
    }
    Ok(sent)
}

/// GET /applications/{id}/access-requests: oldest first, with their status now.
pub async fn list_access_requests(deps: &Deps, account: &Caller, id: &str) -> Result<Vec<AccessRequest>, AppError> {
    let (_, partner) = linked_account(deps, account).await?;
    let app = own(deps, &partner, id).await?;
    let now = deps.clock.now();
    let mut all = deps.access.access_requests(&app.id).await?;
    all.sort_by_key(|r| r.created_at);
    Ok(all.into_iter().map(|r| AccessRequest { status: r.status_at(now), ..r }).collect())
}

/// One granted API at one school, for GET /applications/{id}/access.
pub struct Granted {
    pub scope: Scope,
    pub granted_at: Option<DateTime<Utc>>,
    pub granted_by: Option<String>,
}

/// GET /applications/{id}/access: the scopes its client holds (what tokens carry), each with
/// when and by whom that API was granted at that school, where the portal knows.
pub async fn get_application_access(deps: &Deps, account: &Caller, id: &str) -> Result<Vec<Granted>, AppError> {
    let (_, partner) = linked_account(deps, account).await?;
    let app = own(deps, &partner, id).await?;
    let Some(client_id) = &app.client_id else { return Ok(Vec::new()) };
    let Some(client) = deps.applications.client(client_id).await? else { return Ok(Vec::new()) };
    let index: BTreeMap<Institution, SchoolAccess> =
        deps.access.client_access(client_id).await?.into_iter().map(|a| (a.institution.clone(), a)).collect();
    Ok(client
        .token_scopes()
        .into_iter()
        .map(|scope| {
            let grant = index.get(&scope.institution).and_then(|a| a.grants.get(&scope.api));
            Granted { granted_at: grant.map(|g| g.granted_at), granted_by: grant.map(|g| g.granted_by.clone()), scope }
        })
        .collect())
}

/// What a school administrator sees when it opens a link.
pub struct Opened {
    pub request: AccessRequest,
    pub application: Application,
    pub partner: Profile,
}

/// GET /access-requests/{token}: 404 for an unknown link; 410 once its month is over (also
/// before the expiry job marked it). `_admin`: only an administrator signed in at Informat opens a link; what it may grant is
/// checked when it grants.
pub async fn get_access_request(deps: &Deps, _admin: &SchoolAdmin, token: &str) -> Result<Opened, AppError> {
    let request = checked_request(deps, token).await?;
    // The application and its partner: read together, their outcomes in this order.
    let (application, partner) = futures::join!(
        deps.applications.application(&request.partner_id, &request.application_id),
        deps.profiles.profile(&request.partner_id)
    );
    opened(request, application, partner)
}

/// The request behind a link, while it is open. A link serves the school, not one inbox
/// (issue 22): any administrator signed in at Informat may open it, and grants what its rights
/// at a school allow (checked where it grants); who granted is in the log and the register.
async fn checked_request(deps: &Deps, token: &str) -> Result<AccessRequest, AppError> {
    let hash = SecretToken::parse(token).ok_or(AppError::NotFound)?.hash();
    let request = deps.access.access_request(&hash).await?.ok_or(AppError::NotFound)?;
    if request.status_at(deps.clock.now()) == AccessRequestStatus::Expired {
        return Err(AppError::Gone {
            code: "access_request_expired",
            detail:
                "Deze aanvraag is verlopen: een link blijft een maand geldig. Vraag de partner om een nieuwe aanvraag."
                    .into(),
        });
    }
    Ok(request)
}

fn opened(
    request: AccessRequest,
    application: Result<Option<Application>, StoreError>,
    partner: Result<Option<Profile>, StoreError>,
) -> Result<Opened, AppError> {
    let application = application?.ok_or(AppError::NotFound)?;
    let partner = partner?.ok_or(AppError::NotFound)?;
    Ok(Opened { request, application, partner })
}

/// A client and its index entry at one school, read as one snapshot in one request (its
/// outcome counts where the client is used).
struct ClientRead {
    id: ClientId,
    read: Result<(Option<Client>, Option<SchoolAccess>), StoreError>,
}

async fn read_client(deps: &Deps, id: &ClientId, institution: &Institution) -> ClientRead {
    ClientRead { id: id.clone(), read: deps.lookups.client_at_school(id, institution).await }
}

async fn read_client_of(deps: &Deps, id: Option<&ClientId>, institution: &Institution) -> Option<ClientRead> {
    match id {
        Some(id) => Some(read_client(deps, id, institution).await),
        None => None,
    }
}

/// Who changes an application's access at which school, as read before the client.
struct AtSchool<'a> {
    admin: &'a SchoolAdmin,
    app: &'a Application,
    institution: &'a Institution,
    /// A profile that could not be read counts as not active: an addition fails closed.
    partner_active: bool,
}

/// Reads the application's client at the school (or takes the one read with the application,
/// if it is that client), has [`decide_access`] decide `ask`, and writes the plan in one
/// transaction; read and decided again when the client changed meanwhile.
async fn write_access(
    deps: &Deps,
    at: &AtSchool<'_>,
    ask: AccessAsk<'_>,
    mut read: Option<ClientRead>,
) -> Result<AccessDecision, AppError> {
    let AtSchool { admin, app, institution, partner_active } = *at;
    let client_id = app.client_id.clone().ok_or_else(not_approved)?;
    let mut tries = Tries::of(Stale::Client);
    while tries.next() {
        // Read again on a retry (a concurrent change), or when what was read is another client.
        let (client, known) = match read.take().filter(|r| r.id == client_id) {
            Some(read) => read.read,
            None => read_client(deps, &client_id, institution).await.read,
        }?;
        let client = client.ok_or_else(|| AppError::invariant(format!("client {client_id}")))?;
        let state = AccessState { application: app, partner_active, client: &client, known: known.as_ref() };
        let decision = decide_access(&state, admin, institution, ask, deps.clock.now())?;
        let AccessDecision::Changed(plan) = &decision else { return Ok(decision) };
        let write = AccessWrite {
            change: &plan.change,
            client: (&client, &plan.client),
            school: match &plan.school {
                Some(school) => SchoolIndex::Put(school),
                None => SchoolIndex::Remove(institution),
            },
            request: match (ask, &plan.request) {
                (AccessAsk::Grant { request, .. }, Some(after)) => Some((request, after)),
                _ => None,
            },
            log: (&app.partner_id, &app.id, &plan.log),
        };
        match deps.access.write_access(write).await {
            Ok(()) => {
                tracing::info!(application = %app.id, institution = institution.as_str(), changes = plan.log.len(), "school access changed");
                return Ok(decision);
            }
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(tries.exhausted())
}

/// Mails the partner and the application's contact what `plan` changed at the school.
async fn notify_access(
    deps: &Deps,
    profile: &Profile,
    at: &AtSchool<'_>,
    plan: &crate::domain::AccessPlan,
) -> Result<(), AppError> {
    let what = if plan.after.is_empty() { "heeft geen toegang meer tot een school" } else { "kreeg datatoegang" };
    let headline = format!(
        "Een schoolbeheerder van instelling {} wijzigde de toegang van de applicatie tot de gegevens van de school.",
        at.institution.as_str()
    );
    notify(deps, profile, at.app, what, &headline, at.admin.email.as_str(), &plan.log).await
}

/// POST /access-requests/{token}/grant: grants `apis` at `institution` through a request. Only
/// APIs the application checked, only where the administrator has the right, only while the
/// application is approved. What was granted before at this school stays.
pub async fn grant_access(
    deps: &Deps,
    admin: &SchoolAdmin,
    token: &str,
    institution: &Institution,
    apis: &BTreeSet<Api>,
) -> Result<Vec<Scope>, AppError> {
    let request = checked_request(deps, token).await?;
    // The application, its partner and (named by the request) its client with its schools: all
    // read together. Their outcomes count in the order they were read in before.
    let (application, partner, read) = futures::join!(
        deps.applications.application(&request.partner_id, &request.application_id),
        deps.profiles.profile(&request.partner_id),
        read_client_of(deps, request.client_id.as_ref(), institution),
    );
    let Opened { request, application: app, partner } = opened(request, application, partner)?;
    let at = AtSchool { admin, app: &app, institution, partner_active: partner.active };
    let decision = write_access(deps, &at, AccessAsk::Grant { request: &request, apis }, read).await?;
    if let AccessDecision::Changed(plan) = &decision
        && !plan.log.is_empty()
    {
        notify_access(deps, &partner, &at, plan).await?;
    }
    Ok(apis.iter().map(|api| Scope { api: *api, institution: institution.clone() }).collect())
}

/// An application with access at one school, as its administrator sees it.
pub struct SchoolApplication {
    pub application: Application,
    pub partner: Option<Profile>,
    pub apis: BTreeSet<Api>,
    pub access: SchoolAccess,
}

/// GET /schools/{institution}/applications: the applications whose clients hold scopes here.
pub async fn list_school_applications(
    deps: &Deps,
    admin: &SchoolAdmin,
    institution: &Institution,
) -> Result<Vec<SchoolApplication>, AppError> {
    administers(admin, institution)?;
    let index = deps.access.school_access(institution).await?;
    let ids: Vec<_> = index.iter().map(|a| a.client_id.clone()).collect();
    let clients = deps.access.clients(&ids).await?;
    let keys: Vec<_> = clients
        .iter()
        .filter_map(|c| c.application_id.clone().zip(c.partner_id.clone()).map(|(a, p)| (p, a)))
        .collect();
    let apps: BTreeMap<ApplicationId, Application> =
        deps.access.applications_by_keys(&keys).await?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let partners: Vec<_> = keys.iter().map(|(p, _)| p.clone()).collect();
    let profiles = deps.profiles.profiles(&partners).await?;
    let mut out: Vec<SchoolApplication> = index
        .into_iter()
        .filter_map(|access| {
            let client = clients.iter().find(|c| c.id == access.client_id)?;
            let apis: BTreeSet<Api> =
                client.token_scopes().into_iter().filter(|s| &s.institution == institution).map(|s| s.api).collect();
            let application = apps.get(client.application_id.as_ref()?)?.clone();
            (!apis.is_empty()).then(|| SchoolApplication {
                partner: profiles.iter().find(|p| p.id == application.partner_id).cloned(),
                application,
                apis,
                access,
            })
        })
        .collect();
    out.sort_by(|a, b| a.application.fields.name.cmp(&b.application.fields.name));
    Ok(out)
}

/// PUT /schools/{institution}/applications/{id}/access: sets this school's APIs for an
/// application that already has access here (an empty set revokes it). No new application
/// without an invitation (manual 3.4): 404 when it has no access at this school; 409
/// `application_not_approved` when it is no longer approved (archived).
pub async fn update_school_access(
    deps: &Deps,
    admin: &SchoolAdmin,
    institution: &Institution,
    id: &str,
    apis: &BTreeSet<Api>,
) -> Result<BTreeSet<Api>, AppError> {
    administers(admin, institution)?;
    let id = ApplicationId::parse(id).ok_or(AppError::NotFound)?;
    // The id index names the partner and the client; the application itself (its state), its
    // client with its schools and the partner's profile are then read together.
    let indexed = deps.lookups.indexed_application(&id).await?.ok_or(AppError::NotFound)?;
    let (app, read, profile) = futures::join!(
        deps.applications.application(&indexed.partner_id, &id),
        read_client_of(deps, indexed.client_id.as_ref(), institution),
        deps.profiles.profile(&indexed.partner_id),
    );
    let app = app?.ok_or(AppError::NotFound)?;
    if app.client_id.is_none() {
        return Err(AppError::NotFound);
    }
    // A school may always narrow or revoke a deactivated partner's access, never widen it. A
    // profile that could not be read counts as not active: an addition fails closed (and the
    // read's failure is the answer once the change is written, when the mail needs it).
    let partner_active = matches!(&profile, Ok(Some(p)) if p.active);
    let at = AtSchool { admin, app: &app, institution, partner_active };
    match write_access(deps, &at, AccessAsk::Set { apis }, read).await? {
        AccessDecision::Unchanged(apis) => Ok(apis),
        AccessDecision::Changed(plan) => {
            if !plan.log.is_empty() {
                let profile = profile?.ok_or_else(|| AppError::invariant(format!("profile {}", app.partner_id)))?;
                notify_access(deps, &profile, &at, &plan).await?;
            }
            Ok(plan.after)
        }
    }
}

/// What one run of the expiry job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExpiryRun {
    /// Items the expiry index Queries read: grows with what expires, not with what is stored.
    pub read: u64,
    pub expired: u64,
}

/// The scheduled job: marks pending requests whose month is over at `now` as expired, with a
/// log entry on their application. Idempotent: a request already marked is skipped. Granted
/// access is not touched.
pub async fn expire_access_requests(deps: &Deps, now: DateTime<Utc>) -> Result<ExpiryRun, AppError> {
    use futures::{StreamExt as _, TryStreamExt as _};
    let today = now.date_naive();
    // Two round trips, whatever expires: the days' index Queries together, then the expiries,
    // at most EXPIRY_CONCURRENCY at a time.
    let days = (0..EXPIRY_LOOKBACK_DAYS).rev().map(|back| today - chrono::Duration::days(back));
    let found = futures::future::try_join_all(days.map(|day| deps.access.expiring(day, now))).await?;
    let read = found.iter().map(|(_, read)| read).sum();
    let due = found.into_iter().flat_map(|(due, _)| due);
    // Owned requests: a future borrowing from `due` would not be Send for every lifetime.
    let expired: Vec<bool> = futures::stream::iter(due.into_iter().map(|request| async move {
        let log =
            LogEntry::new(now, LogAction::Expired, REQUEST_PROPERTY, SYSTEM, Some(request.email.to_string()), None);
        let change = Change::AccessRequestExpired {
            request: request.id.clone(),
            application: request.application_id.clone(),
            partner: request.partner_id.clone(),
            at: now,
        };
        deps.access.expire(&request, &log, &change).await
    }))
    .buffer_unordered(EXPIRY_CONCURRENCY)
    .try_collect()
    .await?;
    let run = ExpiryRun { read, expired: expired.into_iter().filter(|done| *done).count() as u64 };
    tracing::info!(read = run.read, expired = run.expired, outcome = "ok", "access requests expired");
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AdminRights;
    use crate::testing::{approved, fakes, partner};

    fn admin(rights: &str) -> SchoolAdmin {
        SchoolAdmin {
            email: Email::parse("email", "beheer@school.be").expect("email"),
            rights: AdminRights::parse(rights),
        }
    }

    fn school() -> Institution {
        Institution::parse("012345").expect("institution")
    }

    /// An approved application with one request sent: the application id, its client, the link's token.
    async fn requested(f: &crate::testing::Fakes) -> (String, ClientId, String) {
        let (caller, _) = partner(f, "Planner BV").await;
        let (id, client_id) = approved(f, &caller).await;
        let to = Email::parse("email", "directie@school.be").expect("email");
        let sent = create_access_requests(&f.deps, &caller, &id, vec![to]).await.expect("sent");
        let token = sent[0].link.rsplit('/').next().expect("a token").to_owned();
        (id, client_id, token)
    }

    #[tokio::test]
    async fn a_grant_within_the_rights_gives_the_scope_and_says_so() {
        let f = fakes();
        let (id, client_id, token) = requested(&f).await;
        let apis: BTreeSet<Api> = [Api::Leerlingen].into();
        let granted =
            grant_access(&f.deps, &admin("leerlingen:012345"), &token, &school(), &apis).await.expect("granted");
        assert_eq!(granted, [Scope { api: Api::Leerlingen, institution: school() }]);
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(client.scopes.contains(&Scope { api: Api::Leerlingen, institution: school() }));
        let last = f.store.changes().pop().expect("a change");
        let Change::AccessGranted { application, institution, before, after, by, .. } = last else {
            panic!("not a grant: {last:?}")
        };
        assert_eq!(application.to_string(), id);
        assert_eq!(institution, school());
        assert!(before.is_empty());
        assert_eq!(after, apis);
        assert_eq!(by, "beheer@school.be");
    }

    #[tokio::test]
    async fn a_grant_beyond_the_rights_is_refused_and_writes_nothing() {
        let f = fakes();
        let (_, client_id, token) = requested(&f).await;
        let apis: BTreeSet<Api> = [Api::Leerlingen].into();
        let changes = f.store.changes().len();
        // Rights for another school, and for another API at this one.
        for rights in ["leerlingen:99999", "personeel:012345"] {
            let refused = grant_access(&f.deps, &admin(rights), &token, &school(), &apis).await;
            assert!(matches!(refused, Err(AppError::Denied { code: "not_school_admin", .. })), "{rights}");
        }
        assert_eq!(f.store.changes().len(), changes);
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(client.scopes.is_empty());
    }

    #[tokio::test]
    async fn a_school_revokes_what_it_granted() {
        let f = fakes();
        let (id, client_id, token) = requested(&f).await;
        let admin = admin("leerlingen:012345");
        let apis: BTreeSet<Api> = [Api::Leerlingen].into();
        grant_access(&f.deps, &admin, &token, &school(), &apis).await.expect("granted");
        let left = update_school_access(&f.deps, &admin, &school(), &id, &BTreeSet::new()).await.expect("revoked");
        assert!(left.is_empty());
        let client = f.deps.applications.client(&client_id).await.expect("read").expect("client");
        assert!(client.scopes.is_empty());
        let last = f.store.changes().pop().expect("a change");
        assert!(
            matches!(&last, Change::AccessChanged { before, after, .. } if *before == apis && after.is_empty()),
            "{last:?}"
        );
        // Nothing left to change here: the application has no access at this school any more.
        let again = update_school_access(&f.deps, &admin, &school(), &id, &apis).await;
        assert!(matches!(again, Err(AppError::NotFound)));
    }

    #[tokio::test]
    async fn an_unknown_or_malformed_link_is_not_found() {
        let f = fakes();
        requested(&f).await;
        let admin = admin("leerlingen:012345");
        for token in ["", "kort", &"A".repeat(43)] {
            assert!(matches!(get_access_request(&f.deps, &admin, token).await, Err(AppError::NotFound)), "{token}");
        }
    }
}
