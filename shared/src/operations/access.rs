//! Access to schools' data (manual 2.1 step 3, 3.4; api.md "Back office: school administrators"
//! and the access-request rows): requests by mail, grants by school administrators within their
//! rights, changes at a school, and the monthly expiry of links. Granted scopes live on the
//! client, so the next token carries them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::deps::Deps;
use crate::domain::{
    AccessRequest, AccessRequestId, AccessRequestStatus, Api, Application, ApplicationId, ApplicationStatus, Client,
    ClientId, Email, FieldError, Institution, LogAction, LogEntry, MailBudget, Profile, SYSTEM, SchoolAccess,
    SchoolAdmin, Scope, SecretToken, link_expiry, seconds_until_tomorrow,
};
use crate::domain::{Caller, Change};
use crate::error::AppError;
use crate::mail;
use crate::operations::common::{active_partner, linked_account, notify, own};
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

fn not_approved() -> AppError {
    AppError::conflict(
        "application_not_approved",
        "Toegang tot schoolgegevens kan pas gevraagd of verleend worden als Informat de applicatie heeft goedgekeurd.",
    )
}

fn not_school_admin(detail: String) -> AppError {
    AppError::Denied { code: "not_school_admin", detail }
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
        return Err(not_approved());
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

/// Checks `apis` at `institution`: each checked by the application (400) and within the
/// administrator's rights (403).
fn check_apis(
    app: &Application,
    admin: &SchoolAdmin,
    institution: &Institution,
    apis: &BTreeSet<Api>,
    changed: &BTreeSet<Api>,
) -> Result<(), AppError> {
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

/// The client's scopes at `institution` replaced by `apis` there.
fn with_scopes_at(client: &Client, institution: &Institution, apis: &BTreeSet<Api>, now: DateTime<Utc>) -> Client {
    let mut scopes: BTreeSet<Scope> = client.scopes.iter().filter(|s| &s.institution != institution).cloned().collect();
    scopes.extend(apis.iter().map(|api| Scope { api: *api, institution: institution.clone() }));
    Client { scopes, updated_at: now, version: client.version + 1, ..client.clone() }
}

fn apis_at(client: &Client, institution: &Institution) -> BTreeSet<Api> {
    client.scopes.iter().filter(|s| &s.institution == institution).map(|s| s.api).collect()
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

/// Writes a change of `app`'s access at `institution` to the APIs `plan` makes of the ones it
/// has there now (retried when the client changed meanwhile), then mails the partner and the
/// application's contact. `read`: the client as read together with the application, if it was
/// (used when it is the application's client); `profile`: the partner's profile as read then,
/// for a change without a request.
#[allow(clippy::too_many_arguments)]
async fn change_access(
    deps: &Deps,
    admin: &SchoolAdmin,
    app: &Application,
    institution: &Institution,
    via: Option<&Opened>,
    mut read: Option<ClientRead>,
    mut profile: Option<Result<Option<Profile>, StoreError>>,
    plan: impl Fn(&BTreeSet<Api>) -> Result<BTreeSet<Api>, AppError>,
) -> Result<BTreeSet<Api>, AppError> {
    let request = via.map(|opened| &opened.request);
    let client_id = app.client_id.clone().ok_or_else(not_approved)?;
    let user = admin.email.to_string();
    for _ in 0..3 {
        // Read again on a retry (a concurrent change), or when what was read is another client.
        let (client, known) = match read.take().filter(|r| r.id == client_id) {
            Some(read) => read.read,
            None => read_client(deps, &client_id, institution).await.read,
        }?;
        let client = client.ok_or_else(|| AppError::invariant(format!("client {client_id}")))?;
        let before = apis_at(&client, institution);
        // Planned from the client as read now, so a retry after a concurrent change plans again.
        let apis = &plan(&before)?;
        let now = deps.clock.now();
        let log = scope_changes(&before, apis, institution, &user, now);
        let request_after = request.map(|r| {
            let mut granted = r.granted.clone();
            granted.insert(institution.clone());
            AccessRequest { granted, version: r.version + 1, ..r.clone() }
        });
        let request_changes = request.is_some_and(|r| !r.granted.contains(institution));
        if log.is_empty() && !request_changes {
            return Ok(before);
        }
        let after = with_scopes_at(&client, institution, apis, now);
        let school = SchoolAccess::changed(known.as_ref(), &client_id, institution, (&before, apis), &user, now);
        let change = match request {
            Some(request) => Change::AccessGranted {
                application: app.id.clone(),
                partner: app.partner_id.clone(),
                client: client_id.clone(),
                institution: institution.clone(),
                request: request.id.clone(),
                before: before.clone(),
                after: apis.clone(),
                by: user.clone(),
                at: now,
            },
            None => Change::AccessChanged {
                application: app.id.clone(),
                partner: app.partner_id.clone(),
                client: client_id.clone(),
                institution: institution.clone(),
                before: before.clone(),
                after: apis.clone(),
                by: user.clone(),
                at: now,
            },
        };
        let write = AccessWrite {
            change: &change,
            client: (&client, &after),
            school: match &school {
                Some(school) => SchoolIndex::Put(school),
                None => SchoolIndex::Remove(institution),
            },
            request: request.zip(request_after.as_ref()),
            log: (&app.partner_id, &app.id, &log),
        };
        match deps.access.write_access(write).await {
            Ok(()) => {
                tracing::info!(application = %app.id, institution = institution.as_str(), changes = log.len(), "school access changed");
                if !log.is_empty() {
                    // A grant read the profile when it opened the request; a change read it with
                    // the application (or reads it now, after a retry).
                    let read;
                    let profile = match via {
                        Some(opened) => &opened.partner,
                        None => {
                            let found = match profile.take() {
                                Some(found) => found?,
                                None => deps.profiles.profile(&app.partner_id).await?,
                            };
                            read = found.ok_or_else(|| AppError::invariant(format!("profile {}", app.partner_id)))?;
                            &read
                        }
                    };
                    let what =
                        if apis.is_empty() { "heeft geen toegang meer tot een school" } else { "kreeg datatoegang" };
                    let headline = format!(
                        "Een schoolbeheerder van instelling {} wijzigde de toegang van de applicatie tot de gegevens van de school.",
                        institution.as_str()
                    );
                    notify(deps, profile, app, what, &headline, &user, &log).await?;
                }
                return Ok(apis.clone());
            }
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::version_conflict(Stale::Client))
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
    let opened = opened(request, application, partner)?;
    let app = &opened.application;
    if app.status != ApplicationStatus::Approved {
        return Err(not_approved());
    }
    if !opened.partner.active {
        return Err(AppError::partner_inactive());
    }
    if apis.is_empty() {
        return Err(FieldError::new("apis", "required", "Kies minstens een API om toegang tot te verlenen.").into());
    }
    let plan = |before: &BTreeSet<Api>| {
        // Every API asked for needs the right, also one this school granted before.
        check_apis(app, admin, institution, apis, apis)?;
        Ok(before.union(apis).copied().collect())
    };
    change_access(deps, admin, app, institution, Some(&opened), read, None, plan).await?;
    Ok(apis.iter().map(|api| Scope { api: *api, institution: institution.clone() }).collect())
}

/// An application with access at one school, as its administrator sees it.
pub struct SchoolApplication {
    pub application: Application,
    pub partner: Option<Profile>,
    pub apis: BTreeSet<Api>,
    pub access: SchoolAccess,
}

fn administers(admin: &SchoolAdmin, institution: &Institution) -> Result<(), AppError> {
    if admin.rights.administers(institution) {
        Ok(())
    } else {
        Err(not_school_admin(format!("Je bent geen schoolbeheerder van instelling {}.", institution.as_str())))
    }
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
    // profile that could not be read counts as not active: an addition fails closed.
    let partner_active = matches!(&profile, Ok(Some(p)) if p.active);
    let plan = |before: &BTreeSet<Api>| {
        if before.is_empty() {
            return Err(AppError::NotFound);
        }
        // An archived application's client no longer works: its access is not changed any more.
        if app.status != ApplicationStatus::Approved {
            return Err(AppError::conflict(
                "application_not_approved",
                "Deze applicatie is niet (meer) goedgekeurd door Informat: haar toegang tot de gegevens van de school kan niet meer gewijzigd worden.",
            ));
        }
        let changed: BTreeSet<Api> = before.symmetric_difference(apis).copied().collect();
        let added: BTreeSet<Api> = changed.intersection(apis).copied().collect();
        check_apis(&app, admin, institution, &added, &changed)?;
        if !added.is_empty() && !partner_active {
            return Err(AppError::partner_inactive());
        }
        Ok(apis.clone())
    };
    change_access(deps, admin, &app, institution, None, read, Some(profile), plan).await
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
