//! School administrators (api.md "Back office: school administrators"): open an access-request
//! link, grant access through it, and manage the applications that have access at a school.
//! Rights come from the staff ID token's `custom:admin_scopes`.

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use portal::Deps;
use portal::access::{self, SchoolApplication};
use portal::domain::{Api, FieldError, Institution, apis};
use portal::http::{Checks, HttpResult, json, json_body, school_admin, timestamp};
use serde::Deserialize;
use serde_json::{Value, json as body};

use crate::applications::render_request;
use crate::directory::public_partner;

fn path(req: &Request, name: &str) -> String {
    req.path_parameters().first(name).unwrap_or_default().to_owned()
}

fn institution(raw: &str) -> Result<Institution, FieldError> {
    Institution::parse(raw).ok_or_else(|| {
        FieldError::new("institution", "invalid_institution", "Een instellingsnummer heeft 5 of 6 cijfers.")
    })
}

/// GET /access-requests/{token}
pub async fn get_access_request(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req)?;
    let opened = access::open(deps, &admin, &path(&req, "token")).await?;
    let app = &opened.application;
    let mut partner = public_partner(&deps.config, &opened.partner);
    partner["contact_email"] = body!(app.fields.contact_email);
    let request = render_request(&opened.request);
    json(
        StatusCode::OK,
        &body!({
            "application": {"id": app.id, "name": app.fields.name, "description": app.fields.description, "apis": app.fields.apis},
            "partner": partner,
            "requested_by": opened.request.requested_by,
            "expires_at": request["expires_at"],
            "status": request["status"],
            "institutions": request["institutions"],
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    institution: Option<String>,
    apis: Option<Vec<String>>,
}

/// POST /access-requests/{token}/grant
pub async fn grant_access(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req)?;
    let input: GrantBody = json_body(&req)?;
    let mut checks = Checks::default();
    let school = checks.check(institution(input.institution.as_deref().unwrap_or("")));
    let picked = checks.check(apis("apis", &input.apis.unwrap_or_default()));
    let (school, picked) = checks.finish(school.zip(picked))?;
    let granted = access::grant(deps, &admin, &path(&req, "token"), &school, &picked).await?;
    let granted: Vec<String> = granted.iter().map(ToString::to_string).collect();
    json(StatusCode::OK, &body!({"granted": granted}))
}

fn render_school_app(a: &SchoolApplication, institution: &Institution) -> Value {
    let app = &a.application;
    let grants: Vec<Value> = a
        .apis
        .iter()
        .map(|api| {
            let grant = a.access.grants.get(api);
            body!({
                "api": api,
                "scope": format!("{}:{}", api.code(), institution.as_str()),
                "granted_at": grant.map(|g| timestamp(g.granted_at)),
                "granted_by": grant.map(|g| g.granted_by.as_str()),
            })
        })
        .collect();
    // The earliest grant that still holds here: one date per school for the list.
    let first = a.apis.iter().filter_map(|api| a.access.grants.get(api)).min_by_key(|g| g.granted_at);
    body!({
        "application": {"id": app.id, "name": app.fields.name, "description": app.fields.description, "status": app.status.code(), "apis": app.fields.apis},
        "partner": a.partner.as_ref().map(|p| body!({"name": p.fields.name, "email": p.email})),
        "client_id": app.client_id,
        "apis": a.apis,
        "scopes": a.apis.iter().map(|api| format!("{}:{}", api.code(), institution.as_str())).collect::<Vec<_>>(),
        "grants": grants,
        "granted_at": first.map(|g| timestamp(g.granted_at)),
        "granted_by": first.map(|g| g.granted_by.as_str()),
        "updated_at": timestamp(a.access.updated_at),
    })
}

/// GET /schools/{institution}/applications
pub async fn list_school_applications(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req)?;
    let school = institution(&path(&req, "institution"))?;
    let apps = access::school_applications(deps, &admin, &school).await?;
    let items: Vec<Value> = apps.iter().map(|a| render_school_app(a, &school)).collect();
    json(StatusCode::OK, &body!({"items": items, "next_cursor": null}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    apis: Option<Vec<String>>,
}

/// PUT /schools/{institution}/applications/{id}/access
pub async fn update_school_access(deps: &Deps, req: Request) -> HttpResult {
    let admin = school_admin(&req)?;
    let school = institution(&path(&req, "institution"))?;
    let input: AccessBody = json_body(&req)?;
    let raw = input.apis.ok_or_else(|| FieldError::required("apis"))?;
    // An empty list is allowed here: it revokes the school's access.
    let picked: BTreeSet<Api> = if raw.is_empty() { BTreeSet::new() } else { apis("apis", &raw)? };
    let now_at = access::set_school_access(deps, &admin, &school, &path(&req, "id"), &picked).await?;
    let scopes: Vec<String> = now_at.iter().map(|api| format!("{}:{}", api.code(), school.as_str())).collect();
    json(StatusCode::OK, &body!({"institution": school, "apis": now_at, "scopes": scopes}))
}
