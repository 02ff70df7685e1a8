//! Access to school data. A partner asks for it for an approved application (api.md
//! "Applications": access requests) and sees what its client holds; school administrators (api.md
//! "Back office: school administrators") open an access-request link, grant access through it, and
//! manage the applications that have access at a school, with rights from the staff ID token's
//! `custom:admin_scopes`. Daily, the scheduled job expires requests whose month is over.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::config::Config;
use portal::domain::{
    AccessRequest, Api, ApplicationId, ClientId, Email, FieldError, Grant, Institution, apis, parse_addresses,
};
use portal::http::{Checks, HttpResult, json, json_body, partner_account, school_admin, timestamp};
use portal::operations::access::{self, ExpiryRun, SchoolApplication};
use portal::{AppError, Deps};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::path_param;
use crate::views::PublicPartnerView;
use crate::views::{Items, Page};

fn institution(raw: &str) -> Result<Institution, FieldError> {
    Institution::parse(raw).ok_or_else(|| {
        FieldError::new("institution", "invalid_institution", "Een instellingsnummer heeft 5 of 6 cijfers.")
    })
}

// ------------------------------------------------------------------ partners

#[derive(Deserialize)]
#[serde(untagged)]
enum Emails {
    Joined(String),
    Listed(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessRequestBody {
    emails: Option<Emails>,
}

/// An access request as the partner sees it (the link itself only in the answer that made it,
/// and in the logs).
#[derive(Serialize)]
struct AccessRequestView<'a> {
    id: String,
    email: &'a Email,
    requested_by: &'a str,
    created_at: String,
    expires_at: String,
    status: &'static str,
    institutions: &'a BTreeSet<Institution>,
}

impl<'a> From<&'a AccessRequest> for AccessRequestView<'a> {
    fn from(r: &'a AccessRequest) -> Self {
        Self {
            id: r.id.to_string(),
            email: &r.email,
            requested_by: &r.requested_by,
            created_at: timestamp(r.created_at),
            expires_at: timestamp(r.expires_at),
            status: r.status.code(),
            institutions: &r.granted,
        }
    }
}

/// A request just sent: the request, with the link that was mailed.
#[derive(Serialize)]
struct SentRequestView<'a> {
    #[serde(flatten)]
    request: AccessRequestView<'a>,
    link: &'a str,
}

/// A scope the application's client holds, with when and by whom it was granted, where known.
#[derive(Serialize)]
struct ScopeAccessView<'a> {
    institution: &'a Institution,
    api: &'a Api,
    granted_at: Option<String>,
    granted_by: Option<&'a str>,
}

/// POST /applications/{id}/access-requests
pub async fn create_access_requests(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input: AccessRequestBody = json_body(&req)?;
    let raw = match input.emails {
        Some(Emails::Joined(joined)) => vec![joined],
        Some(Emails::Listed(list)) => list,
        None => Vec::new(),
    };
    let addresses = parse_addresses(&raw)?;
    let sent = access::create_access_requests(deps, &account, &path_param(&req, "id"), addresses).await?;
    let items = sent.iter().map(|s| SentRequestView { request: (&s.request).into(), link: &s.link }).collect();
    json(StatusCode::CREATED, &Items { items })
}

/// GET /applications/{id}/access-requests
pub async fn list_access_requests(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let all = access::list_access_requests(deps, &account, &path_param(&req, "id")).await?;
    json(StatusCode::OK, &Page::complete(all.iter().map(AccessRequestView::from).collect()))
}

/// GET /applications/{id}/access
pub async fn get_application_access(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let granted = access::get_application_access(deps, &account, &path_param(&req, "id")).await?;
    let items = granted
        .iter()
        .map(|g| ScopeAccessView {
            institution: &g.scope.institution,
            api: &g.scope.api,
            granted_at: g.granted_at.map(timestamp),
            granted_by: g.granted_by.as_deref(),
        })
        .collect();
    json(StatusCode::OK, &Items { items })
}

// ------------------------------------------------------------------ school administrators

/// What an administrator sees behind an access-request link: the application, its partner
/// (with the application's contact address) and the request.
#[derive(Serialize)]
struct OpenedView<'a> {
    application: OpenedApplicationView<'a>,
    partner: ContactPartnerView<'a>,
    /// To whom the link was mailed: any administrator with the rights may use it (issue 22).
    sent_to: &'a Email,
    requested_by: &'a str,
    expires_at: String,
    status: &'static str,
    institutions: &'a BTreeSet<Institution>,
}

#[derive(Serialize)]
struct OpenedApplicationView<'a> {
    id: &'a ApplicationId,
    name: &'a str,
    description: &'a str,
    apis: &'a BTreeSet<Api>,
}

#[derive(Serialize)]
struct ContactPartnerView<'a> {
    #[serde(flatten)]
    partner: PublicPartnerView<'a>,
    contact_email: &'a Email,
}

/// GET /access-requests/{token}
pub async fn get_access_request(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req, &deps.config.informat_idp)?;
    let opened = access::get_access_request(deps, &admin, &path_param(&req, "token")).await?;
    let (app, request) = (&opened.application, &opened.request);
    let view = OpenedView {
        application: OpenedApplicationView {
            id: &app.id,
            name: &app.fields.name,
            description: &app.fields.description,
            apis: &app.fields.apis,
        },
        partner: ContactPartnerView {
            partner: PublicPartnerView::new(&deps.config, &opened.partner),
            contact_email: &app.fields.contact_email,
        },
        sent_to: &request.email,
        requested_by: &request.requested_by,
        expires_at: timestamp(request.expires_at),
        status: request.status.code(),
        institutions: &request.granted,
    };
    json(StatusCode::OK, &view)
}

/// The scopes a grant gave.
#[derive(Serialize)]
struct GrantedView {
    granted: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    institution: Option<String>,
    apis: Option<Vec<String>>,
}

/// POST /access-requests/{token}/grant
pub async fn grant_access(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req, &deps.config.informat_idp)?;
    let input: GrantBody = json_body(&req)?;
    let mut checks = Checks::default();
    let school = checks.check(institution(input.institution.as_deref().unwrap_or("")));
    let picked = checks.check(apis("apis", &input.apis.unwrap_or_default()));
    let (school, picked) = checks.finish(school.zip(picked))?;
    let granted = access::grant_access(deps, &admin, &path_param(&req, "token"), &school, &picked).await?;
    json(StatusCode::OK, &GrantedView { granted: granted.iter().map(ToString::to_string).collect() })
}

/// An application with access at a school: what it is, whose it is, and per API when and by
/// whom it was granted here.
#[derive(Serialize)]
struct SchoolApplicationView<'a> {
    application: SchoolApplicationSummary<'a>,
    /// The partner as the public directory shows it (api.md PublicPartner): never its account's
    /// e-mail address, contact person, enterprise number or address.
    partner: Option<PublicPartnerView<'a>>,
    client_id: Option<&'a ClientId>,
    apis: &'a BTreeSet<Api>,
    scopes: Vec<String>,
    grants: Vec<SchoolGrantView<'a>>,
    granted_at: Option<String>,
    granted_by: Option<&'a str>,
    updated_at: String,
}

#[derive(Serialize)]
struct SchoolApplicationSummary<'a> {
    id: &'a ApplicationId,
    name: &'a str,
    description: &'a str,
    status: &'static str,
    apis: &'a BTreeSet<Api>,
}

/// One API at the school: its scope, and when and by whom it was granted, where known.
#[derive(Serialize)]
struct SchoolGrantView<'a> {
    api: &'a Api,
    scope: String,
    granted_at: Option<String>,
    granted_by: Option<&'a str>,
}

fn scope(api: &Api, institution: &Institution) -> String {
    format!("{}:{}", api.code(), institution.as_str())
}

impl<'a> SchoolApplicationView<'a> {
    fn new(config: &Config, a: &'a SchoolApplication, institution: &Institution) -> Self {
        let app = &a.application;
        let grants = a
            .apis
            .iter()
            .map(|api| {
                let grant = a.access.grants.get(api);
                SchoolGrantView {
                    api,
                    scope: scope(api, institution),
                    granted_at: grant.map(|g| timestamp(g.granted_at)),
                    granted_by: grant.map(|g| g.granted_by.as_str()),
                }
            })
            .collect();
        // The earliest grant that still holds here: one date per school for the list.
        let first: Option<&Grant> =
            a.apis.iter().filter_map(|api| a.access.grants.get(api)).min_by_key(|g| g.granted_at);
        Self {
            application: SchoolApplicationSummary {
                id: &app.id,
                name: &app.fields.name,
                description: &app.fields.description,
                status: app.status.code(),
                apis: &app.fields.apis,
            },
            partner: a.partner.as_ref().map(|p| PublicPartnerView::new(config, p)),
            client_id: app.client_id.as_ref(),
            apis: &a.apis,
            scopes: a.apis.iter().map(|api| scope(api, institution)).collect(),
            grants,
            granted_at: first.map(|g| timestamp(g.granted_at)),
            granted_by: first.map(|g| g.granted_by.as_str()),
            updated_at: timestamp(a.access.updated_at),
        }
    }
}

/// A school's access for one application after a change.
#[derive(Serialize)]
struct SchoolAccessView<'a> {
    institution: &'a Institution,
    apis: &'a BTreeSet<Api>,
    scopes: Vec<String>,
}

/// GET /schools/{institution}/applications
pub async fn list_school_applications(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req, &deps.config.informat_idp)?;
    let school = institution(&path_param(&req, "institution"))?;
    let apps = access::list_school_applications(deps, &admin, &school).await?;
    json(
        StatusCode::OK,
        &Page::complete(apps.iter().map(|a| SchoolApplicationView::new(&deps.config, a, &school)).collect()),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    apis: Option<Vec<String>>,
}

/// PUT /schools/{institution}/applications/{id}/access
pub async fn update_school_access(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req, &deps.config.informat_idp)?;
    let school = institution(&path_param(&req, "institution"))?;
    let input: AccessBody = json_body(&req)?;
    let raw = input.apis.ok_or_else(|| FieldError::required("apis"))?;
    // An empty list is allowed here: it revokes the school's access.
    let picked: BTreeSet<Api> = if raw.is_empty() { BTreeSet::new() } else { apis("apis", &raw)? };
    let now_at = access::update_school_access(deps, &admin, &school, &path_param(&req, "id"), &picked).await?;
    let scopes = now_at.iter().map(|api| scope(api, &school)).collect();
    json(StatusCode::OK, &SchoolAccessView { institution: &school, apis: &now_at, scopes })
}

// ------------------------------------------------------------------ the scheduled job

/// The scheduled job's entry: the EventBridge event (`{"time": "2026-11-22T03:00:00Z", ...}`).
/// "Now" is the event's `time`, so a retried or replayed event does the same work. The answer
/// is what the run did.
pub async fn expire_access_requests(deps: &Deps, event: Value) -> Result<ExpiryRun, AppError> {
    let now = event
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::InvalidRequest("the event has no RFC 3339 'time'".into()))?;
    access::expire_access_requests(deps, now).await
}
