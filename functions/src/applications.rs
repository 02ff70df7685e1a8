//! Applications of a partner (api.md "Applications") and their moderation by Informat
//! (api.md "Back office: moderators").

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use portal::Deps;
use portal::domain::{
    Api, Application, ApplicationFields, ApplicationId, ApplicationStatus, ClientId, ClientJwks, ClientKey, Email,
    FieldError, PublicKeys, apis, text,
};
use portal::http::{
    Checks, HttpResult, json, json_body, moderator, optional_json_body, page_params, partner_account, timestamp,
};
use portal::operations::applications::{self, Credentials, MAX_SECRET_GRACE_SECONDS, Review, Reviewed};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::views::{LogEntryView, Page, PartnerNameView, ProfileView, log_page};
use crate::{field, path_param};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl LinkBody {
    fn credentials(self) -> Result<Credentials, portal::AppError> {
        let mut checks = Checks::default();
        let client_id = checks.check(text("client_id", field(&self.client_id), true, 200));
        let client_secret = checks.check(text("client_secret", field(&self.client_secret), true, 1000));
        let values =
            client_id.zip(client_secret).map(|(client_id, client_secret)| Credentials { client_id, client_secret });
        checks.finish(values)
    }
}

/// ApplicationInput of api.md, as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationBody {
    name: Option<String>,
    description: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    apis: Option<Vec<String>>,
    /// Only on PUT.
    version: Option<u64>,
    /// Only on POST: take over an existing client.
    link: Option<LinkBody>,
}

impl ApplicationBody {
    /// The fields as sent. With `link`, `apis` may be left out (they come from the client's
    /// scopes): then the set is empty, which a sent `apis` never is.
    fn fields(&self) -> Result<ApplicationFields, portal::AppError> {
        let mut checks = Checks::default();
        let name = checks.check(ApplicationFields::name(field(&self.name)));
        let description =
            checks.check(text("description", field(&self.description), true, ApplicationFields::DESCRIPTION_MAX));
        let contact_name = checks.check(text("contact_name", field(&self.contact_name), true, 200));
        let contact_email = checks.check(Email::parse("contact_email", field(&self.contact_email)));
        let apis = match (&self.apis, &self.link) {
            (None, Some(_)) => Some(BTreeSet::new()),
            (sent, _) => checks.check(apis("apis", sent.as_deref().unwrap_or_default())),
        };
        let values = (|| {
            Some(ApplicationFields {
                name: name?,
                description: description?,
                contact_name: contact_name?,
                contact_email: contact_email?,
                apis: apis?,
            })
        })();
        checks.finish(values)
    }
}

/// The Application of api.md.
#[derive(Serialize)]
struct ApplicationView<'a> {
    id: &'a ApplicationId,
    name: &'a str,
    description: &'a str,
    contact_name: &'a str,
    contact_email: &'a Email,
    /// Whether the contact confirmed its address: until then it gets only its confirmation mail.
    contact_email_confirmed: bool,
    apis: &'a BTreeSet<Api>,
    status: &'static str,
    client_id: Option<&'a ClientId>,
    rejection_reason: Option<&'a str>,
    secret_created_at: Option<String>,
    created_at: String,
    updated_at: String,
    version: u64,
}

impl<'a> From<&'a Application> for ApplicationView<'a> {
    fn from(app: &'a Application) -> Self {
        let f = &app.fields;
        Self {
            id: &app.id,
            name: &f.name,
            description: &f.description,
            contact_name: &f.contact_name,
            contact_email: &f.contact_email,
            contact_email_confirmed: app.contact.is_confirmed(),
            apis: &f.apis,
            status: app.status.code(),
            client_id: app.client_id.as_ref(),
            rejection_reason: app.rejection_reason.as_deref(),
            secret_created_at: app.secret_created_at.map(timestamp),
            created_at: timestamp(app.created_at),
            updated_at: timestamp(app.updated_at),
            version: app.version,
        }
    }
}

/// A registered public key: its public JWK members, the RFC 7638 thumbprint that identifies it,
/// an RSA key's size and when it was added (null: registered before that was kept).
#[derive(Serialize)]
struct KeyView<'a> {
    #[serde(flatten)]
    jwk: &'a ClientKey,
    thumbprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    bits: Option<usize>,
    added_at: Option<String>,
}

/// The JWK Set of an application, as GET /applications/{id} and PUT .../jwks answer it.
#[derive(Serialize)]
struct KeysView<'a> {
    keys: Vec<KeyView<'a>>,
}

impl<'a> From<&'a ClientJwks> for KeysView<'a> {
    fn from(jwks: &'a ClientJwks) -> Self {
        let keys = jwks
            .keys
            .iter()
            .map(|k| KeyView {
                jwk: &k.key,
                thumbprint: k.key.thumbprint(),
                bits: k.key.rsa_bits(),
                added_at: k.added_at.map(timestamp),
            })
            .collect();
        Self { keys }
    }
}

/// GET /applications/{id}: the Application and its registered public keys.
#[derive(Serialize)]
struct ApplicationDetailView<'a> {
    #[serde(flatten)]
    application: ApplicationView<'a>,
    keys: Vec<KeyView<'a>>,
}

/// An approved client's id and the APIs its scopes cover: what linking it would take over.
#[derive(Serialize)]
struct VerifiedClientView<'a> {
    client_id: &'a ClientId,
    apis: BTreeSet<Api>,
}

/// A new client secret, shown this once.
#[derive(Serialize)]
struct SecretView<'a> {
    client_id: &'a ClientId,
    client_secret: &'a str,
}

/// GET /applications
pub async fn list_applications(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let apps = applications::list_applications(deps, &account).await?;
    json(StatusCode::OK, &Page::complete(apps.iter().map(ApplicationView::from).collect()))
}

/// POST /client-credentials/verify
pub async fn verify_client_credentials(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let credentials = json_body::<LinkBody>(&req)?.credentials()?;
    let client = applications::verify_client_credentials(deps, &account, &credentials).await?;
    json(StatusCode::OK, &VerifiedClientView { client_id: &client.id, apis: client.scope_apis() })
}

/// POST /applications
pub async fn create_application(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input = json_body::<ApplicationBody>(&req)?;
    if input.version.is_some() {
        return Err(portal::AppError::InvalidRequest("Een nieuwe applicatie heeft nog geen version.".into()));
    }
    let fields = input.fields()?;
    let link = input.link.map(LinkBody::credentials).transpose()?;
    let app = applications::create_application(deps, &account, fields, link).await?;
    json(StatusCode::CREATED, &ApplicationView::from(&app))
}

/// GET /applications/{id}
pub async fn get_application(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let (app, jwks) = applications::get_application_with_keys(deps, &account, &path_param(&req, "id")).await?;
    json(
        StatusCode::OK,
        &ApplicationDetailView { application: ApplicationView::from(&app), keys: KeysView::from(&jwks).keys },
    )
}

/// PUT /applications/{id}
pub async fn update_application(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input = json_body::<ApplicationBody>(&req)?;
    if input.link.is_some() {
        return Err(portal::AppError::InvalidRequest(
            "Een client koppel je bij het toevoegen van een applicatie, niet bij het bewerken.".into(),
        ));
    }
    let fields = input.fields()?;
    let app = applications::update_application(deps, &account, &path_param(&req, "id"), fields, input.version).await?;
    json(StatusCode::OK, &ApplicationView::from(&app))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SecretBody {
    previous_secret_valid_for_seconds: Option<i64>,
}

#[derive(Serialize)]
struct ConfirmationSentView<'a> {
    status: &'static str,
    contact_email: &'a Email,
}

/// POST /applications/{id}/contact-confirmation
pub async fn resend_contact_confirmation(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let to = applications::resend_contact_confirmation(deps, &account, &path_param(&req, "id")).await?;
    json(StatusCode::ACCEPTED, &ConfirmationSentView { status: "confirmation_sent", contact_email: &to })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactConfirmationBody {
    application_id: Option<String>,
    token: Option<String>,
}

#[derive(Serialize)]
struct ContactConfirmedView {
    status: &'static str,
    application: String,
}

/// POST /contact-confirmations
pub async fn confirm_contact(deps: &Deps, req: Request) -> HttpResult {
    let input: ContactConfirmationBody = json_body(&req)?;
    let application = applications::confirm_contact(deps, field(&input.application_id), field(&input.token)).await?;
    json(StatusCode::OK, &ContactConfirmedView { status: "confirmed", application })
}

/// POST /applications/{id}/secret
pub async fn create_client_secret(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let input: SecretBody = optional_json_body(&req)?;
    let grace = input.previous_secret_valid_for_seconds.unwrap_or(0);
    if !(0..=MAX_SECRET_GRACE_SECONDS).contains(&grace) {
        return Err(FieldError::new(
            "previous_secret_valid_for_seconds",
            "out_of_range",
            "Kies hoe lang het vorige secret nog werkt: 0 tot en met 86400 seconden (24 uur).",
        )
        .into());
    }
    let (client_id, secret) =
        applications::create_client_secret(deps, &account, &path_param(&req, "id"), grace).await?;
    json(StatusCode::CREATED, &SecretView { client_id: &client_id, client_secret: secret.expose() })
}

/// PUT /applications/{id}/jwks: answers the keys as registered (public members only).
pub async fn update_application_jwks(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let body: Value = json_body(&req)?;
    let keys = PublicKeys::parse(&body).map_err(|detail| portal::AppError::Refused { code: "invalid_jwks", detail })?;
    let jwks = applications::update_application_jwks(deps, &account, &path_param(&req, "id"), keys).await?;
    json(StatusCode::OK, &KeysView::from(&jwks))
}

/// GET /applications/{id}/logs
pub async fn get_application_logs(deps: &Deps, req: Request) -> HttpResult {
    let account = partner_account(&req)?;
    let (limit, cursor) = page_params(&req)?;
    log_page(
        applications::get_application_logs(deps, &account, &path_param(&req, "id"), limit, cursor.as_deref()).await?,
    )
}

// ------------------------------------------------------------------ moderators

/// An application in the back office, with its partner: in full for one application, by id
/// and name in the queue; null when the profile is gone.
#[derive(Serialize)]
struct ReviewedView<'a> {
    #[serde(flatten)]
    application: ApplicationView<'a>,
    partner: Option<ReviewedPartner<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ReviewedPartner<'a> {
    Full(ProfileView<'a>),
    Named(PartnerNameView<'a>),
}

impl<'a> ReviewedView<'a> {
    fn new(deps: &Deps, r: &'a Reviewed, full_partner: bool) -> Self {
        let partner = r.partner.as_ref().map(|p| match full_partner {
            true => ReviewedPartner::Full(ProfileView::new(&deps.config, p)),
            false => ReviewedPartner::Named(p.into()),
        });
        Self { application: (&r.application).into(), partner }
    }
}

/// One application for its moderator: as in the queue, with its partner in full and its log
/// (`history`, newest first).
#[derive(Serialize)]
struct ReviewView<'a> {
    #[serde(flatten)]
    reviewed: ReviewedView<'a>,
    history: Vec<LogEntryView<'a>>,
}

/// GET /admin/applications?status=new
pub async fn list_review_queue(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    let (limit, cursor) = page_params(&req)?;
    let raw = req.query_string_parameters().first("status").unwrap_or("new").to_owned();
    let status = ApplicationStatus::parse(&raw).ok_or_else(|| {
        portal::AppError::from(FieldError::new(
            "status",
            "unknown_status",
            "Kies als status new, approved, rejected of archived.",
        ))
    })?;
    let page = applications::list_review_queue(deps, status, limit, cursor.as_deref()).await?;
    let items = page.items.iter().map(|r| ReviewedView::new(deps, r, false)).collect();
    json(StatusCode::OK, &Page { items, next_cursor: page.next_cursor })
}

/// GET /admin/applications/{id}
pub async fn get_admin_application(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    let Review { reviewed, history } = applications::get_admin_application(deps, &path_param(&req, "id")).await?;
    json(
        StatusCode::OK,
        &ReviewView {
            reviewed: ReviewedView::new(deps, &reviewed, true),
            history: history.iter().map(LogEntryView::from).collect(),
        },
    )
}

/// POST /admin/applications/{id}/approve
pub async fn approve_application(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    json(
        StatusCode::OK,
        &ApplicationView::from(&applications::approve_application(deps, &path_param(&req, "id")).await?),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: Option<String>,
}

/// POST /admin/applications/{id}/reject
pub async fn reject_application(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    let input: RejectBody = json_body(&req)?;
    let reason = text("reason", field(&input.reason), true, 2000)?;
    json(
        StatusCode::OK,
        &ApplicationView::from(&applications::reject_application(deps, &path_param(&req, "id"), reason).await?),
    )
}

/// POST /admin/applications/{id}/archive
pub async fn archive_application(deps: &Deps, req: Request) -> HttpResult {
    moderator(&req)?;
    json(
        StatusCode::OK,
        &ApplicationView::from(&applications::archive_application(deps, &path_param(&req, "id")).await?),
    )
}
