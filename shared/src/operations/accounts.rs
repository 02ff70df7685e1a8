//! Partner accounts and sessions (manual 3.1): registration, activation, "Wachtwoord vergeten?",
//! sign-in with throttling, refresh, and who am I. Written against the ports only.

use std::net::IpAddr;

use chrono::{DateTime, Duration, DurationRound as _, Utc};

use crate::deps::Deps;
use crate::domain::{
    Account, Caller, Email, FieldError, LinkState, NewPassword, OneTimeToken, Password, SecretToken, StaffResetToken,
    StaffRole, TokenPurpose,
};
use crate::error::{AppError, Internal};
use crate::mail;
use crate::operations::common::{signed_in, throttle_key};
use crate::ports::{Created, IdentityError, PoolUser, Session, Sessions};

/// Failed sign-ins allowed per email address from one source address within [`SIGN_IN_WINDOW`]
/// before that source gets 429 for that address (the owner, elsewhere, still signs in).
pub const MAX_FAILED_SIGN_INS: u32 = 5;
/// Failed sign-ins allowed from one source address, whatever the email addresses, within
/// [`SIGN_IN_WINDOW`]: a source that guesses many addresses.
pub const MAX_FAILED_SIGN_INS_PER_SOURCE: u32 = 20;
/// Failed sign-ins allowed for one email address from all sources together within
/// [`SIGN_IN_WINDOW`]: bounds guessing from many sources. One source adds at most
/// [`MAX_FAILED_SIGN_INS`], so locking the owner out takes at least 10 sources.
pub const MAX_FAILED_SIGN_INS_PER_ADDRESS: u32 = 50;
pub const SIGN_IN_WINDOW: Duration = Duration::minutes(15);

/// Mails of one kind (activation, "account exists", reset) that one address gets at most in
/// [`MAIL_WINDOW`]; beyond it the answer stays the same and no mail leaves.
pub const MAX_MAILS_PER_KIND: u32 = 3;
pub const MAIL_WINDOW: Duration = Duration::hours(1);

/// Registration and "Wachtwoord vergeten?" answer no sooner than this after they started, whatever
/// the address: the work differs between existing and unknown addresses (a mail or not, a new
/// user or not), the time to answer must not. Chosen above what the slowest path takes (a user
/// pool call, a transaction and a mail, normally under 300 ms in a region).
pub const ACCOUNT_ANSWER_TIME: std::time::Duration = std::time::Duration::from_millis(400);

/// A registration that passed validation: the terms were accepted, the email and password are valid.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: NewPassword,
}

/// Runs `work`, then waits until [`ACCOUNT_ANSWER_TIME`] has passed since the start.
async fn in_fixed_time<T>(work: impl Future<Output = T>) -> T {
    let deadline = tokio::time::Instant::now() + ACCOUNT_ANSWER_TIME;
    let result = work.await;
    if tokio::time::Instant::now() > deadline {
        tracing::warn!(
            budget_ms = ACCOUNT_ANSWER_TIME.as_millis() as u64,
            "an account answer took longer than its fixed time"
        );
    }
    tokio::time::sleep_until(deadline).await;
    result
}

/// The kinds of account mail, each capped per address ([`MAX_MAILS_PER_KIND`]).
#[derive(Debug, Clone, Copy)]
enum MailKind {
    Activation,
    AccountExists,
    PasswordReset,
    /// A back-office reset mail: counted apart from the partner's, as the pools are apart.
    StaffPasswordReset,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::AccountExists => "account_exists",
            Self::PasswordReset => "password_reset",
            Self::StaffPasswordReset => "staff_password_reset",
        }
    }
}

/// Whether another mail of `kind` may go to `email` now; counts it when so.
async fn may_mail(deps: &Deps, kind: MailKind, email: &Email) -> Result<bool, AppError> {
    let key = throttle_key(&format!("mail-{}", kind.as_str()), email.as_str());
    let allowed = deps.attempts.take_use(&key, deps.clock.now(), MAIL_WINDOW, MAX_MAILS_PER_KIND).await?;
    if !allowed {
        tracing::info!(
            outcome = "mail_capped",
            kind = kind.as_str(),
            "no mail: this address had its mails of this kind for the hour"
        );
    }
    Ok(allowed)
}

/// POST /accounts. The outcome is the same whether or not the email already has an account: a new
/// account gets an activation mail, an unactivated one a fresh activation mail, an active one a
/// mail that says it exists. The password is checked by the pool only for new accounts.
/// Answers in [`ACCOUNT_ANSWER_TIME`] either way.
pub async fn create_account(deps: &Deps, registration: Registration) -> Result<(), AppError> {
    in_fixed_time(register_now(deps, registration)).await
}

async fn register_now(deps: &Deps, registration: Registration) -> Result<(), AppError> {
    let Registration { email, password } = registration;
    match deps.identity.sign_up(&email, password.password()).await {
        Ok(id) => {
            let now = deps.clock.now();
            let account = Account::register(id, email, now);
            let (secret, token) =
                OneTimeToken::issue(TokenPurpose::Activation, account.id.clone(), account.email.clone(), now)?;
            match deps.accounts.create_account(&account, &token).await? {
                Created::Yes => {
                    if may_mail(deps, MailKind::Activation, &account.email).await? {
                        send_activation(deps, &account.email, &secret).await?;
                    }
                    Ok(())
                }
                // The pool accepted a new user, yet the table knows the address: the pool and the
                // table disagree. Answer as for an existing account.
                Created::EmailTaken => existing_account(deps, &account.email).await,
            }
        }
        Err(IdentityError::AlreadyExists) => existing_account(deps, &email).await,
        Err(IdentityError::InvalidPassword) => Err(weak_password()),
        Err(e) => Err(identity_failure(e)),
    }
}

fn weak_password() -> AppError {
    AppError::Validation(vec![Password::weak("password")])
}

/// The user pool refused the address although [`Email`] accepted it: the caller's input.
fn refused_email() -> AppError {
    AppError::Validation(vec![FieldError::new(
        "email",
        "invalid_email",
        "Dit e-mailadres kunnen we niet gebruiken. Geef een e-mailadres in zoals naam@bedrijf.be, met enkel letters zonder accenten, cijfers en . _ % + - vóór de @.",
    )])
}

/// The email already has an account in the pool.
async fn existing_account(deps: &Deps, email: &Email) -> Result<(), AppError> {
    let now = deps.clock.now();
    let account = match deps.accounts.account_by_email(email).await? {
        Some(account) => account,
        None => {
            // The pool has the user but the table does not (a registration that failed half way):
            // repair the table from the pool, so the person can still activate.
            let Some(PoolUser { id, confirmed }) = deps.identity.find_user(email).await.map_err(identity_failure)?
            else {
                return Err(AppError::invariant("the pool reported an existing user it cannot find"));
            };
            let mut account = Account::register(id, email.clone(), now);
            let (secret, token) =
                OneTimeToken::issue(TokenPurpose::Activation, account.id.clone(), email.clone(), now)?;
            if deps.accounts.create_account(&account, &token).await? == Created::Yes && !confirmed {
                if may_mail(deps, MailKind::Activation, email).await? {
                    send_activation(deps, email, &secret).await?;
                }
                return Ok(());
            }
            if confirmed {
                deps.accounts.activate(&account.id, now).await?;
                account.status = crate::domain::AccountStatus::Active;
            }
            account
        }
    };
    if account.is_active() {
        if may_mail(deps, MailKind::AccountExists, email).await? {
            let mail = mail::account_exists(&deps.config.mail_from_accounts, email, &deps.config.portal_url)?;
            mail::deliver(deps.mailer.as_ref(), "account_exists", &mail).await;
        }
        Ok(())
    } else if !may_mail(deps, MailKind::Activation, email).await? {
        Ok(())
    } else {
        let (secret, token) = OneTimeToken::issue(TokenPurpose::Activation, account.id.clone(), email.clone(), now)?;
        deps.accounts.put_token(&token).await?;
        send_activation(deps, email, &secret).await
    }
}

async fn send_activation(deps: &Deps, email: &Email, secret: &SecretToken) -> Result<(), AppError> {
    let link = mail::token_link(&deps.config.portal_url, "activeren", secret);
    let mail = mail::activation(&deps.config.mail_from_accounts, email, &link)?;
    mail::deliver(deps.mailer.as_ref(), "activation", &mail).await;
    Ok(())
}

/// POST /accounts/activate.
pub async fn activate_account(deps: &Deps, presented: &str) -> Result<(), AppError> {
    let now = deps.clock.now();
    let token = take_token(deps, presented, TokenPurpose::Activation, now).await?;
    if let Err(e) = deps.identity.confirm(&token.email).await {
        restore(deps, &token).await;
        return Err(identity_failure(e));
    }
    deps.accounts.activate(&token.account_id, now).await?;
    tracing::info!(account = %token.account_id, "account activated");
    Ok(())
}

/// POST /accounts/forgot-password. Always the same answer, in [`ACCOUNT_ANSWER_TIME`]; a mail
/// only when the account exists and the address had fewer than [`MAX_MAILS_PER_KIND`] this hour.
/// A new reset token makes every earlier one of the account unusable.
pub async fn forgot_password(deps: &Deps, email: &Email) -> Result<(), AppError> {
    in_fixed_time(forgot_password_now(deps, email)).await
}

async fn forgot_password_now(deps: &Deps, email: &Email) -> Result<(), AppError> {
    // Counted for every address, known or not: the same work either way. The count and the
    // look-up do not depend on each other: they go out together, and the count's failure still
    // comes first.
    let (allowed, account) =
        futures::join!(may_mail(deps, MailKind::PasswordReset, email), deps.accounts.account_by_email(email));
    let allowed = allowed?;
    let Some(account) = account? else {
        tracing::info!(outcome = "no_account", "password reset asked for an unknown address");
        return Ok(());
    };
    if !allowed {
        return Ok(());
    }
    let now = deps.clock.now();
    let (secret, token) = OneTimeToken::issue(TokenPurpose::PasswordReset, account.id.clone(), email.clone(), now)?;
    deps.accounts.put_reset_token(&token).await?;
    let link = mail::token_link(&deps.config.portal_url, "wachtwoord-herstellen", &secret);
    let mail = mail::password_reset(&deps.config.mail_from_accounts, email, &link, !account.is_active())?;
    mail::deliver(deps.mailer.as_ref(), "password_reset", &mail).await;
    Ok(())
}

/// POST /accounts/reset-password. An account that was never activated is activated too (the
/// manual's tip: "Wachtwoord vergeten?" rescues a lost activation mail). Only the newest reset
/// token of the account works. The reset ends every session: the pool revokes the refresh
/// tokens, and access tokens issued before it are refused from then on
/// ([`Account::sessions_valid_from`]).
pub async fn reset_password(deps: &Deps, presented: &str, password: &NewPassword) -> Result<(), AppError> {
    let now = deps.clock.now();
    let token = take_token(deps, presented, TokenPurpose::PasswordReset, now).await?;
    let account = deps.accounts.account(&token.account_id).await?;
    // A newer link was sent since this one: this one is over (and stays used up).
    if account.as_ref().and_then(|a| a.reset_token.as_ref()) != Some(&token.hash) {
        return Err(AppError::InvalidToken);
    }
    // Now that the address is known, a password built from it is refused too.
    let password = match NewPassword::parse("password", password.password().expose(), Some(&token.email)) {
        Ok(password) => password,
        Err(weak) => {
            restore(deps, &token).await;
            return Err(AppError::Validation(vec![weak]));
        }
    };
    // An account that was never activated is activated by its new password.
    let activating = !account.as_ref().is_some_and(Account::is_active);
    // The new password first: only then may the sessions end (a sign-in with the old password
    // before the sign-out would otherwise keep its refresh token).
    if let Err(e) = deps.identity.set_password(&token.email, password.password()).await {
        restore(deps, &token).await;
        return Err(reset_failure(e));
    }
    // Tokens carry their issue time in whole seconds of real time (`iat`). Sessions are valid
    // from the next whole second, written while the pool signs the user out: every token issued
    // before the sign-out ended must have an `iat` below it, which holds when the sign-out ended
    // within this second (checked below; else it is written again with the later second).
    let started = deps.clock.real_now();
    let mut valid_from = next_second(started);
    let email = &token.email;
    let account_id = &token.account_id;
    let throttle = Pool::Partner.address_key(email);
    let (signed_out, confirmed, ended, cleared) = futures::join!(
        async {
            let result = deps.identity.sign_out_everywhere(email).await;
            (result, deps.clock.real_now())
        },
        // The pool's confirmation after the new password (never before: a refused password must
        // not leave a confirmed user with the password it registered with); the table's status
        // only once the pool confirmed, so a failed confirmation is tried again with the link.
        async {
            if !activating {
                return Ok(Ok(()));
            }
            deps.identity.confirm(email).await?;
            Ok::<_, IdentityError>(deps.accounts.activate(account_id, now).await)
        },
        deps.accounts.end_sessions(account_id, valid_from),
        // A new password also lifts the sign-in throttle of this address.
        deps.attempts.clear(&throttle),
    );
    let (signed_out, signed_out_at) = signed_out;
    // The pool's failures first, in the order these steps used to run one after the other.
    let activated = match confirmed.and_then(|activated| signed_out.map(|()| activated)) {
        Ok(activated) => activated,
        Err(e) => {
            restore(deps, &token).await;
            return Err(reset_failure(e));
        }
    };
    ended?;
    if signed_out_at >= valid_from {
        // The sign-out ended in a later second: tokens of that second must not count either.
        valid_from = next_second(signed_out_at);
        deps.accounts.end_sessions(account_id, valid_from).await?;
    }
    activated?;
    if let Err(e) = cleared {
        tracing::warn!(error = %e, "could not clear the sign-in throttle");
    }
    tracing::info!(account = %token.account_id, "password reset; every earlier session ended");
    // The answer waits for that second, so a sign-in after the answer is never refused.
    if let Ok(wait) = (valid_from - deps.clock.real_now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    Ok(())
}

/// POST /staff/forgot-password: "Wachtwoord vergeten?" of the back office. Always the same
/// answer, in [`ACCOUNT_ANSWER_TIME`]; a mail only to a moderator of the staff pool
/// ([`StaffRole::may_reset_password`]) whose address had fewer than [`MAX_MAILS_PER_KIND`] this
/// hour. A new token makes every earlier one of the user unusable.
pub async fn staff_forgot_password(deps: &Deps, email: &Email) -> Result<(), AppError> {
    in_fixed_time(staff_forgot_password_now(deps, email)).await
}

async fn staff_forgot_password_now(deps: &Deps, email: &Email) -> Result<(), AppError> {
    // Counted for every address, known or not, as for partners.
    let (allowed, role) =
        futures::join!(may_mail(deps, MailKind::StaffPasswordReset, email), deps.staff_accounts.role(email));
    let allowed = allowed?;
    let role = role.map_err(identity_failure)?;
    if !StaffRole::may_reset_password(role) {
        tracing::info!(
            outcome = "no_moderator",
            "back-office password reset asked for an address that is no moderator"
        );
        return Ok(());
    }
    if !allowed {
        return Ok(());
    }
    let (secret, token) = StaffResetToken::issue(email.clone(), deps.clock.now())?;
    deps.staff_resets.put_staff_reset(&token).await?;
    let link = mail::token_link(&deps.config.backoffice_url, "wachtwoord-herstellen", &secret);
    let mail = mail::staff_password_reset(&deps.config.mail_from_accounts, email, &link)?;
    mail::deliver(deps.mailer.as_ref(), "staff_password_reset", &mail).await;
    Ok(())
}

/// POST /staff/reset-password. Only the user's newest token works, and only while the user is a
/// moderator. The reset ends the user's sessions: the staff pool revokes every refresh token
/// (its ID tokens, which the gateway checks by signature and expiry alone, run out within the
/// hour). A password the pool refuses, or one built from the address, keeps the link working.
pub async fn staff_reset_password(deps: &Deps, presented: &str, password: &NewPassword) -> Result<(), AppError> {
    let now = deps.clock.now();
    let secret = SecretToken::parse(presented).ok_or(AppError::InvalidToken)?;
    let token = deps.staff_resets.take_staff_reset(&secret.hash(), now).await?.ok_or(AppError::InvalidToken)?;
    let (newest, role) =
        futures::join!(deps.staff_resets.newest_staff_reset(&token.email), deps.staff_accounts.role(&token.email));
    // A newer link was sent since this one, or it expired: this one is over (and stays used up).
    if !token.usable(newest?.as_ref(), now) {
        return Err(AppError::InvalidToken);
    }
    let role = match role {
        Ok(role) => role,
        Err(e) => {
            restore_staff(deps, &token).await;
            return Err(identity_failure(e));
        }
    };
    // No longer a moderator (or no longer in the pool) since the mail: the link is over.
    if !StaffRole::may_reset_password(role) {
        tracing::info!(outcome = "no_moderator", "a back-office reset link of a user that is no moderator any more");
        return Err(AppError::InvalidToken);
    }
    let password = match NewPassword::parse("password", password.password().expose(), Some(&token.email)) {
        Ok(password) => password,
        Err(weak) => {
            restore_staff(deps, &token).await;
            return Err(AppError::Validation(vec![weak]));
        }
    };
    // The new password first, then the sign-out: a sign-in with the old password before it would
    // otherwise keep its refresh token.
    if let Err(e) = deps.staff_accounts.set_password(&token.email, password.password()).await {
        restore_staff(deps, &token).await;
        return Err(reset_failure(e));
    }
    let throttle = Pool::Staff.address_key(&token.email);
    let (signed_out, cleared) =
        futures::join!(deps.staff_accounts.sign_out_everywhere(&token.email), deps.attempts.clear(&throttle));
    if let Err(e) = signed_out {
        // The password is set; the link is tried again to end the sessions.
        restore_staff(deps, &token).await;
        return Err(identity_failure(e));
    }
    if let Err(e) = cleared {
        tracing::warn!(error = %e, "could not clear the sign-in throttle");
    }
    tracing::info!(outcome = "staff_password_reset", "back-office password reset; every refresh token revoked");
    Ok(())
}

/// [`restore`] for a back-office token.
async fn restore_staff(deps: &Deps, token: &StaffResetToken) {
    if let Err(e) = deps.staff_resets.restore_staff_reset(token).await {
        tracing::error!(error = %e, "could not restore a back-office reset token after a failure");
    }
}

/// POST /accounts/reset-password/check: what the reset link can still do, so its page says so
/// before a password is typed. Reads only: the link keeps working. A malformed token is
/// [`LinkState::Unusable`], as an unknown one is.
pub async fn check_reset_link(deps: &Deps, presented: &str) -> Result<LinkState, AppError> {
    let Some(secret) = SecretToken::parse(presented) else { return Ok(LinkState::Unusable) };
    let hash = secret.hash();
    let Some(token) = deps.accounts.token(&hash, TokenPurpose::PasswordReset).await? else {
        return Ok(LinkState::Unusable);
    };
    let account = deps.accounts.account(&token.account_id).await?;
    let newest = account.as_ref().and_then(|a| a.reset_token.as_ref());
    Ok(LinkState::decide(Some(&token), newest, deps.clock.now()))
}

fn reset_failure(e: IdentityError) -> AppError {
    match e {
        IdentityError::InvalidPassword => weak_password(),
        e => identity_failure(e),
    }
}

/// The first whole second after `at`.
fn next_second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::seconds(1)).unwrap_or(at) + Duration::seconds(1)
}

async fn take_token(
    deps: &Deps,
    presented: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<OneTimeToken, AppError> {
    let secret = SecretToken::parse(presented).ok_or(AppError::InvalidToken)?;
    let token = deps.accounts.take_token(&secret.hash(), purpose, now).await?.ok_or(AppError::InvalidToken)?;
    // The store checks expiry in its condition; check again on what came back (TTL deletes late).
    if token.is_valid_at(now) { Ok(token) } else { Err(AppError::InvalidToken) }
}

/// Puts a taken token back when the step after taking it failed on our side, so the person's
/// link keeps working. Best effort: logged when even that fails.
async fn restore(deps: &Deps, token: &OneTimeToken) {
    if let Err(e) = deps.accounts.put_token(token).await {
        tracing::error!(error = %e, "could not restore a single-use token after a failure");
    }
}

fn identity_failure(e: IdentityError) -> AppError {
    match e {
        IdentityError::TooManyRequests => AppError::TooManyAttempts { retry_after_seconds: 60 },
        IdentityError::InvalidParameter(why) => {
            tracing::info!(error = %why, "the user pool refused an input");
            refused_email()
        }
        other => AppError::Internal(Internal::Identity(other)),
    }
}

/// Where a request came from, as the sign-in throttle counts it: an IPv4 address, or the /64
/// network of an IPv6 address (one subscriber usually holds a whole /64).
fn source_of(source: Option<IpAddr>) -> String {
    match source {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".into(),
    }
}

/// The user pool a sign-in is for. Each pool has its own throttle counters, so failures at the
/// back office's sign-in never lock a partner account of the same address, or the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Partner accounts (POST /sessions).
    Partner,
    /// The back office: moderators and school administrators (POST /staff/sessions).
    Staff,
}

impl Pool {
    fn sessions(self, deps: &Deps) -> &dyn Sessions {
        match self {
            Self::Partner => deps.identity.as_ref(),
            Self::Staff => deps.staff_sessions.as_ref(),
        }
    }

    /// The sign-in throttle keys: failures for an address from one source, from one source for
    /// any address, and for an address from every source.
    fn throttle_keys(self, email: &Email, source: &str) -> [String; 3] {
        let kind = self.throttle_kind();
        [
            throttle_key(&format!("{kind}-from"), &format!("{source} {}", email.as_str())),
            throttle_key(&format!("{kind}-source"), source),
            self.address_key(email),
        ]
    }

    /// The key of an address's failures from every source.
    fn address_key(self, email: &Email) -> String {
        throttle_key(self.throttle_kind(), email.as_str())
    }

    fn throttle_kind(self) -> &'static str {
        match self {
            Self::Partner => "signin",
            Self::Staff => "staff-signin",
        }
    }
}

/// POST /sessions and POST /staff/sessions. One answer for an unknown address and a wrong
/// password. Failures are counted per address and source, per source and per address
/// ([`MAX_FAILED_SIGN_INS`] and the other two limits, in [`SIGN_IN_WINDOW`]), for each pool apart;
/// while one of them is reached the answer is 429 until its window closes. One source reaches
/// only its own limits: the owner elsewhere still signs in.
pub async fn sign_in(
    deps: &Deps,
    pool: Pool,
    email: &Email,
    password: &str,
    source: Option<IpAddr>,
) -> Result<Session, AppError> {
    let now = deps.clock.now();
    let keys = pool.throttle_keys(email, &source_of(source));
    let limits = [MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_SOURCE, MAX_FAILED_SIGN_INS_PER_ADDRESS];
    let counted = deps.attempts.attempts_of(&keys, now, SIGN_IN_WINDOW).await?;
    let retry_after_seconds = counted
        .iter()
        .zip(limits)
        .filter_map(|(attempts, max)| attempts.filter(|a| a.failures >= max))
        .map(|a| (a.window_started_at + SIGN_IN_WINDOW - now).num_seconds())
        .max();
    if let Some(retry_after_seconds) = retry_after_seconds {
        return Err(AppError::TooManyAttempts { retry_after_seconds });
    }
    // A password that does not meet the policy cannot be anyone's: no need to ask the pool.
    let outcome = match Password::parse("password", password) {
        Ok(password) => pool.sessions(deps).sign_in(email, &password).await,
        Err(_) => Err(IdentityError::InvalidCredentials),
    };
    match outcome {
        Ok(session) => {
            // The owner is in: this source's failures for the address, and the address's, are
            // forgiven (the source's own count is not: it may be guessing other addresses).
            for key in [&keys[0], &keys[2]] {
                if counted_any(&counted, &keys, key)
                    && let Err(e) = deps.attempts.clear(key).await
                {
                    tracing::warn!(error = %e, "could not clear the sign-in throttle");
                }
            }
            Ok(session)
        }
        Err(IdentityError::InvalidCredentials) => {
            for key in &keys {
                deps.attempts.record_failure(key, now, SIGN_IN_WINDOW).await?;
            }
            Err(AppError::InvalidCredentials)
        }
        Err(IdentityError::NotConfirmed) if pool == Pool::Partner => Err(AppError::AccountNotActivated),
        // Staff users are created confirmed; an unconfirmed one is refused like a wrong password.
        Err(IdentityError::NotConfirmed) => Err(AppError::InvalidCredentials),
        Err(IdentityError::PasswordChangeRequired) => Err(password_change_required()),
        Err(e) => Err(identity_failure(e)),
    }
}

/// A user an administrator created with a temporary password: the portal has no screen for the
/// pool's new-password challenge, so Informat sets a permanent password (docs/operations.md, "Operations").
fn password_change_required() -> AppError {
    AppError::Denied {
        code: "password_change_required",
        detail: "Je wachtwoord is tijdelijk en moet eerst vervangen worden. Vraag Informat om een nieuw wachtwoord in te stellen.".into(),
    }
}

/// Whether `key` (one of `keys`) had failures counted.
fn counted_any(counted: &[Option<crate::ports::Attempts>], keys: &[String], key: &str) -> bool {
    keys.iter().zip(counted).any(|(k, a)| k == key && a.is_some())
}

/// POST /sessions/refresh and POST /staff/sessions/refresh.
pub async fn refresh(deps: &Deps, pool: Pool, refresh_token: &str) -> Result<Session, AppError> {
    if refresh_token.trim().is_empty() {
        return Err(AppError::InvalidCredentials);
    }
    match pool.sessions(deps).refresh(refresh_token).await {
        Ok(session) => Ok(session),
        Err(
            IdentityError::InvalidCredentials
            | IdentityError::NotConfirmed
            | IdentityError::InvalidParameter(_)
            | IdentityError::PasswordChangeRequired,
        ) => Err(AppError::InvalidCredentials),
        Err(e) => Err(identity_failure(e)),
    }
}

/// POST /sessions/revoke and POST /staff/sessions/revoke: sign-out. An empty, unknown or
/// already revoked token is no error either (204 all the same: no oracle for tokens).
pub async fn revoke(deps: &Deps, pool: Pool, refresh_token: &str) -> Result<(), AppError> {
    if refresh_token.trim().is_empty() {
        return Ok(());
    }
    pool.sessions(deps).revoke(refresh_token).await.map_err(identity_failure)
}

/// GET /me: the signed-in account.
pub async fn get_me(deps: &Deps, caller: &Caller) -> Result<Account, AppError> {
    signed_in(deps, caller).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::ports::{AccountStore as _, OutgoingMail};
    use crate::testing::fakes;

    fn email(s: &str) -> Email {
        Email::parse("email", s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn password() -> NewPassword {
        NewPassword::parse("password", "Sterk!Wachtw00rd", None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn token_in(mail: &OutgoingMail) -> String {
        let start = mail.text.find("token=").map(|i| i + 6).unwrap_or_else(|| panic!("no token in {}", mail.text));
        mail.text[start..].split_whitespace().next().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn a_failed_activation_mail_loses_nothing() {
        let f = fakes();
        f.mailer.fail.store(true, Ordering::SeqCst);
        create_account(&f.deps, Registration { email: email("a@school.be"), password: password() })
            .await
            .expect("registered");
        // The account and its token are stored although no mail left.
        let account = f.store.account_by_email(&email("a@school.be")).await.expect("store").expect("account");
        assert!(!account.is_active());
        assert_eq!(f.store.token_count(), 1);
        // Once mail works again, "Wachtwoord vergeten?" rescues the account.
        f.mailer.fail.store(false, Ordering::SeqCst);
        forgot_password(&f.deps, &email("a@school.be")).await.expect("forgot");
        let mail = f.mailer.sent().pop().expect("reset mail");
        reset_password(&f.deps, &token_in(&mail), &password()).await.expect("reset");
        assert!(sign_in(&f.deps, Pool::Partner, &email("a@school.be"), "Sterk!Wachtw00rd", None).await.is_ok());
    }

    #[tokio::test]
    async fn a_pool_failure_during_activation_keeps_the_link_working() {
        let f = fakes();
        create_account(&f.deps, Registration { email: email("b@school.be"), password: password() })
            .await
            .expect("registered");
        let token = token_in(&f.mailer.sent()[0]);
        f.identity.fail_confirm.store(true, Ordering::SeqCst);
        let err = activate_account(&f.deps, &token).await.expect_err("pool down");
        assert_eq!(err.code(), "internal_error");
        f.identity.fail_confirm.store(false, Ordering::SeqCst);
        activate_account(&f.deps, &token).await.expect("the same link works once the pool is back");
        assert_eq!(activate_account(&f.deps, &token).await.expect_err("used").code(), "invalid_token");
    }

    #[tokio::test]
    async fn a_pool_user_without_a_record_is_repaired_on_registering_again() {
        let f = fakes();
        // A registration that reached the pool but not the table.
        f.deps.identity.sign_up(&email("c@school.be"), password().password()).await.expect("pool");
        create_account(&f.deps, Registration { email: email("c@school.be"), password: password() })
            .await
            .expect("registered");
        let account = f.store.account_by_email(&email("c@school.be")).await.expect("store").expect("repaired");
        assert!(!account.is_active());
        let mail = f.mailer.sent().pop().expect("activation mail");
        assert_eq!(mail.subject, mail::ACTIVATION_SUBJECT);
        activate_account(&f.deps, &token_in(&mail)).await.expect("activated");
    }

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_64() {
        assert_eq!(source_of("192.0.2.7".parse().ok()), "192.0.2.7");
        let a = source_of("2001:db8:1:2:aaaa::1".parse().ok());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, source_of("2001:db8:1:2:ffff:1:2:3".parse().ok()), "one subscriber's /64 is one source");
        assert_ne!(a, source_of("2001:db8:1:3::1".parse().ok()));
        assert_eq!(source_of(None), "unknown");
    }

    #[tokio::test]
    async fn sessions_from_before_a_reset_are_over() {
        let f = fakes();
        create_account(&f.deps, Registration { email: email("e@school.be"), password: password() })
            .await
            .expect("registered");
        activate_account(&f.deps, &token_in(&f.mailer.sent()[0])).await.expect("activated");
        let account = f.store.account_by_email(&email("e@school.be")).await.expect("store").expect("account");
        let before = Caller { account: account.id.clone(), issued_at: Utc::now() - Duration::seconds(5) };
        assert!(signed_in(&f.deps, &before).await.is_ok());
        forgot_password(&f.deps, &email("e@school.be")).await.expect("forgot");
        let mail = f.mailer.sent().pop().expect("reset mail");
        reset_password(&f.deps, &token_in(&mail), &password()).await.expect("reset");
        assert_eq!(signed_in(&f.deps, &before).await.expect_err("over").code(), "unauthorized");
        // The reset answered once tokens of the present second are valid.
        let after =
            Caller { account: account.id, issued_at: Utc::now().duration_trunc(Duration::seconds(1)).expect("s") };
        assert!(signed_in(&f.deps, &after).await.is_ok());
    }

    /// A clock whose real time moves on by `step` at every look: a sign-out that ends in a later
    /// second than it began.
    struct SlowClock {
        real: std::sync::Mutex<DateTime<Utc>>,
        step: Duration,
    }

    impl crate::ports::Clock for SlowClock {
        fn now(&self) -> DateTime<Utc> {
            Utc::now()
        }
        fn real_now(&self) -> DateTime<Utc> {
            let mut real = self.real.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *real += self.step;
            *real
        }
    }

    #[tokio::test]
    async fn a_sign_out_that_ends_in_a_later_second_moves_the_sessions_end_with_it() {
        let mut f = fakes();
        create_account(&f.deps, Registration { email: email("f@school.be"), password: password() })
            .await
            .expect("registered");
        activate_account(&f.deps, &token_in(&f.mailer.sent()[0])).await.expect("activated");
        forgot_password(&f.deps, &email("f@school.be")).await.expect("forgot");
        let mail = f.mailer.sent().pop().expect("reset mail");
        // Real time: s + 0.4 before the sign-out (sessions would be valid from s + 1), s + 1.0
        // after it: valid from s + 2.
        let s = Utc::now().duration_trunc(Duration::seconds(1)).expect("s");
        let start = s - Duration::milliseconds(200);
        f.deps.clock = std::sync::Arc::new(SlowClock { real: start.into(), step: Duration::milliseconds(600) });
        reset_password(&f.deps, &token_in(&mail), &password()).await.expect("reset");
        let account = f.store.account_by_email(&email("f@school.be")).await.expect("store").expect("account");
        assert_eq!(
            account.sessions_valid_from,
            Some(s + Duration::seconds(2)),
            "tokens of the second the sign-out ended in are refused too"
        );
    }

    #[tokio::test]
    async fn throttle_counts_per_address_and_resets_on_success() {
        let f = fakes();
        create_account(&f.deps, Registration { email: email("d@school.be"), password: password() })
            .await
            .expect("registered");
        activate_account(&f.deps, &token_in(&f.mailer.sent()[0])).await.expect("activated");
        for _ in 0..MAX_FAILED_SIGN_INS - 1 {
            assert_eq!(
                sign_in(&f.deps, Pool::Partner, &email("d@school.be"), "Fout!Wachtw00rd", None)
                    .await
                    .expect_err("wrong")
                    .code(),
                "invalid_credentials"
            );
        }
        // A success before the limit clears the count.
        sign_in(&f.deps, Pool::Partner, &email("d@school.be"), "Sterk!Wachtw00rd", None).await.expect("signed in");
        for _ in 0..MAX_FAILED_SIGN_INS - 1 {
            let _ = sign_in(&f.deps, Pool::Partner, &email("d@school.be"), "Fout!Wachtw00rd", None).await;
        }
        sign_in(&f.deps, Pool::Partner, &email("d@school.be"), "Sterk!Wachtw00rd", None)
            .await
            .expect("still under the limit");
    }

    #[tokio::test]
    async fn only_a_moderator_of_the_staff_pool_gets_a_back_office_reset_mail() {
        let f = fakes();
        f.staff.add(&email("moderator@informat.be"), &["moderators"], "Oud!Wachtw00rd");
        f.staff.add(&email("directie@school.be"), &[], "Oud!Wachtw00rd");
        for address in ["niemand@informat.be", "directie@school.be"] {
            staff_forgot_password(&f.deps, &email(address)).await.expect("same answer");
        }
        assert!(f.mailer.sent().is_empty(), "no mail for an unknown address or a school administrator");
        staff_forgot_password(&f.deps, &email("moderator@informat.be")).await.expect("forgot");
        let mail = f.mailer.sent().pop().expect("reset mail");
        assert!(mail.text.contains("https://backoffice.test/wachtwoord-herstellen?token="), "{}", mail.text);
        assert!(mail.text.contains("beheer van het Partnerportaal"), "{}", mail.text);
    }

    #[tokio::test]
    async fn a_back_office_reset_sets_the_password_once_and_signs_the_user_out() {
        let f = fakes();
        let moderator = email("moderator@informat.be");
        f.staff.add(&moderator, &["moderators"], "Oud!Wachtw00rd");
        staff_forgot_password(&f.deps, &moderator).await.expect("forgot");
        let first = token_in(&f.mailer.sent()[0]);
        staff_forgot_password(&f.deps, &moderator).await.expect("forgot again");
        let newest = token_in(&f.mailer.sent()[1]);
        assert_eq!(
            staff_reset_password(&f.deps, &first, &password()).await.expect_err("older").code(),
            "invalid_token",
            "only the newest link works"
        );
        // A password built from the address does not use up the link.
        let from_address = NewPassword::parse("password", "Moderator@informat.be1", None).expect("policy");
        let weak = staff_reset_password(&f.deps, &newest, &from_address).await.expect_err("weak");
        assert_eq!(weak.code(), "validation_failed");
        staff_reset_password(&f.deps, &newest, &password()).await.expect("reset");
        assert_eq!(f.staff.password(&moderator).as_deref(), Some("Sterk!Wachtw00rd"));
        assert_eq!(*f.staff.signed_out.lock().expect("lock"), vec![moderator]);
        assert_eq!(
            staff_reset_password(&f.deps, &newest, &password()).await.expect_err("used").code(),
            "invalid_token"
        );
    }

    #[tokio::test]
    async fn a_back_office_link_is_over_once_its_user_is_no_moderator() {
        let f = fakes();
        let moderator = email("moderator@informat.be");
        f.staff.add(&moderator, &["moderators"], "Oud!Wachtw00rd");
        staff_forgot_password(&f.deps, &moderator).await.expect("forgot");
        f.staff.add(&moderator, &[], "Oud!Wachtw00rd");
        let token = token_in(&f.mailer.sent()[0]);
        assert_eq!(
            staff_reset_password(&f.deps, &token, &password()).await.expect_err("no moderator").code(),
            "invalid_token"
        );
        assert_eq!(f.staff.password(&moderator).as_deref(), Some("Oud!Wachtw00rd"));
    }
}
