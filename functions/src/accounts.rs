//! Accounts and sessions: the first table of api.md, and GET /me.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use portal::Deps;

use crate::field;
use crate::views::PartnerNameView;
use portal::domain::{Email, FieldError, NewPassword};
use portal::http::{Checks, HttpResult, json, json_body, no_content, partner_account, source_address, timestamp};
use portal::operations::accounts::{self, Pool, Registration};
use portal::ports::Session;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: Option<String>,
    password: Option<String>,
    accept_terms: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    token: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: Option<String>,
}

#[derive(Serialize)]
struct SessionBody {
    access_token: String,
    id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    expires_in: i64,
    token_type: String,
}

/// `{"status": ...}`: what happens next, for an answer that has nothing else to say.
#[derive(Serialize)]
struct StatusView {
    status: &'static str,
}

/// GET /me: the address, the partner the account belongs to, and the terms it accepted.
#[derive(Serialize)]
struct MeView<'a> {
    email: &'a Email,
    profile: Option<PartnerNameView<'a>>,
    terms: Option<TermsView<'a>>,
}

#[derive(Serialize)]
struct TermsView<'a> {
    version: &'a str,
    accepted_at: String,
}

impl From<Session> for SessionBody {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            id_token: s.id_token,
            refresh_token: s.refresh_token,
            expires_in: s.expires_in,
            token_type: s.token_type,
        }
    }
}

/// POST /accounts
pub async fn create_account(deps: &Deps, req: Request) -> HttpResult {
    let input: RegisterBody = json_body(&req)?;
    let mut checks = Checks::default();
    let email = checks.check(Email::parse("email", field(&input.email)));
    let password = checks.check(NewPassword::parse("password", field(&input.password), email.as_ref()));
    if input.accept_terms != Some(true) {
        checks.refuse(FieldError::new(
            "accept_terms",
            "terms_not_accepted",
            "Ga akkoord met de voorwaarden en het privacybeleid om je te registreren.",
        ));
    }
    let (email, password) = checks.finish(email.zip(password))?;
    accounts::create_account(deps, Registration { email, password }).await?;
    json(StatusCode::ACCEPTED, &StatusView { status: "activation_mail_sent" })
}

/// POST /accounts/activate
pub async fn activate_account(deps: &Deps, req: Request) -> HttpResult {
    let input: TokenBody = json_body(&req)?;
    accounts::activate_account(deps, field(&input.token)).await?;
    no_content()
}

/// POST /accounts/forgot-password
pub async fn forgot_password(deps: &Deps, req: Request) -> HttpResult {
    let input: EmailBody = json_body(&req)?;
    let email = Email::parse("email", field(&input.email))?;
    accounts::forgot_password(deps, &email).await?;
    json(StatusCode::ACCEPTED, &StatusView { status: "accepted" })
}

/// POST /accounts/reset-password
pub async fn reset_password(deps: &Deps, req: Request) -> HttpResult {
    let input: ResetBody = json_body(&req)?;
    // The password is checked first: a weak one must not use up the link (the address,
    // known once the link is read, is checked against it there).
    let password = NewPassword::parse("password", field(&input.password), None)?;
    accounts::reset_password(deps, field(&input.token), &password).await?;
    no_content()
}

/// POST /staff/forgot-password: "Wachtwoord vergeten?" of the back office (moderators only).
pub async fn forgot_staff_password(deps: &Deps, req: Request) -> HttpResult {
    let input: EmailBody = json_body(&req)?;
    let email = Email::parse("email", field(&input.email))?;
    accounts::staff_forgot_password(deps, &email).await?;
    json(StatusCode::ACCEPTED, &StatusView { status: "accepted" })
}

/// POST /staff/reset-password
pub async fn reset_staff_password(deps: &Deps, req: Request) -> HttpResult {
    let input: ResetBody = json_body(&req)?;
    // As for partners: a weak password is refused before the link is read, so it is not used up.
    let password = NewPassword::parse("password", field(&input.password), None)?;
    accounts::staff_reset_password(deps, field(&input.token), &password).await?;
    no_content()
}

#[derive(Serialize)]
struct LinkView {
    status: portal::domain::LinkState,
}

/// POST /accounts/reset-password/check: whether the reset link still works, before a password is
/// typed (usable, expired, replaced by a newer link, or unusable: used or unknown).
pub async fn check_reset_link(deps: &Deps, req: Request) -> HttpResult {
    let input: TokenBody = json_body(&req)?;
    let status = accounts::check_reset_link(deps, field(&input.token)).await?;
    json(StatusCode::OK, &LinkView { status })
}

/// POST /sessions
pub async fn create_session(deps: &Deps, req: Request) -> HttpResult {
    sign_in(deps, &req, Pool::Partner).await
}

/// POST /sessions/refresh
pub async fn refresh_session(deps: &Deps, req: Request) -> HttpResult {
    refresh(deps, &req, Pool::Partner).await
}

/// POST /sessions/revoke: sign-out, the refresh token gives no new tokens afterwards.
pub async fn revoke_session(deps: &Deps, req: Request) -> HttpResult {
    revoke(deps, &req, Pool::Partner).await
}

/// POST /staff/sessions: the back office's sign-in, tokens of the staff pool.
pub async fn create_staff_session(deps: &Deps, req: Request) -> HttpResult {
    sign_in(deps, &req, Pool::Staff).await
}

/// POST /staff/sessions/refresh
pub async fn refresh_staff_session(deps: &Deps, req: Request) -> HttpResult {
    refresh(deps, &req, Pool::Staff).await
}

/// POST /staff/sessions/revoke
pub async fn revoke_staff_session(deps: &Deps, req: Request) -> HttpResult {
    revoke(deps, &req, Pool::Staff).await
}

async fn sign_in(deps: &Deps, req: &Request, pool: Pool) -> HttpResult {
    let input: SignInBody = json_body(req)?;
    let mut checks = Checks::default();
    let email = checks.check(Email::parse("email", field(&input.email)));
    if field(&input.password).is_empty() {
        checks.refuse(FieldError::required("password"));
    }
    let email = checks.finish(email)?;
    let session = accounts::sign_in(deps, pool, &email, field(&input.password), source_address(req)).await?;
    json(StatusCode::OK, &SessionBody::from(session))
}

async fn refresh(deps: &Deps, req: &Request, pool: Pool) -> HttpResult {
    let input: RefreshBody = json_body(req)?;
    let session = accounts::refresh(deps, pool, field(&input.refresh_token)).await?;
    json(StatusCode::OK, &SessionBody::from(session))
}

async fn revoke(deps: &Deps, req: &Request, pool: Pool) -> HttpResult {
    let input: RefreshBody = json_body(req)?;
    accounts::revoke(deps, pool, field(&input.refresh_token)).await?;
    no_content()
}

/// GET /me
pub async fn get_me(deps: &Deps, req: Request) -> HttpResult {
    let caller = partner_account(&req)?;
    let account = accounts::get_me(deps, &caller).await?;
    let profile = match &account.partner_id {
        Some(partner) => deps.profiles.profile(partner).await?,
        None => None,
    };
    let terms =
        account.terms.as_ref().map(|t| TermsView { version: &t.version, accepted_at: timestamp(t.accepted_at) });
    json(StatusCode::OK, &MeView { email: &account.email, profile: profile.as_ref().map(PartnerNameView::from), terms })
}
