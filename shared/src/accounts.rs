//! Partner accounts and sessions (manual 3.1): registration, activation, "Wachtwoord vergeten?",
//! sign-in with throttling, refresh, and who am I. Written against the ports only.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::deps::Deps;
use crate::domain::{Account, AccountId, Email, OneTimeToken, Password, SecretToken, TokenPurpose};
use crate::error::{AppError, Internal};
use crate::mail;
use crate::ports::{Created, IdentityError, PoolUser, Session};

/// Failed sign-ins allowed per email address within [`SIGN_IN_WINDOW`] before 429.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const SIGN_IN_WINDOW: Duration = Duration::minutes(15);

/// A registration that passed validation: the terms were accepted, the email and password are valid.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
}

/// POST /accounts. The outcome is the same whether or not the email already has an account: a new
/// account gets an activation mail, an unactivated one a fresh activation mail, an active one a
/// mail that says it exists. The password is checked by the pool only for new accounts.
pub async fn register(deps: &Deps, registration: Registration) -> Result<(), AppError> {
    let Registration { email, password } = registration;
    match deps.identity.sign_up(&email, &password).await {
        Ok(id) => {
            let now = deps.clock.now();
            let account = Account::register(id, email, now);
            let (secret, token) =
                OneTimeToken::issue(TokenPurpose::Activation, account.id.clone(), account.email.clone(), now)?;
            match deps.accounts.create_account(&account, &token).await? {
                Created::Yes => send_activation(deps, &account.email, &secret).await,
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
                return Err(AppError::Internal(Internal::Invariant(
                    "the pool reported an existing user it cannot find".into(),
                )));
            };
            let mut account = Account::register(id, email.clone(), now);
            let (secret, token) =
                OneTimeToken::issue(TokenPurpose::Activation, account.id.clone(), email.clone(), now)?;
            if deps.accounts.create_account(&account, &token).await? == Created::Yes && !confirmed {
                return send_activation(deps, email, &secret).await;
            }
            if confirmed {
                deps.accounts.activate(&account.id, now).await?;
                account.status = crate::domain::AccountStatus::Active;
            }
            account
        }
    };
    if account.is_active() {
        let mail = mail::account_exists(&deps.config.mail_from_accounts, email, &deps.config.portal_url)?;
        mail::deliver(deps.mailer.as_ref(), "account_exists", &mail).await;
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
pub async fn activate(deps: &Deps, presented: &str) -> Result<(), AppError> {
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

/// POST /accounts/forgot-password. Always the same answer; a mail only when the account exists.
pub async fn forgot_password(deps: &Deps, email: &Email) -> Result<(), AppError> {
    let Some(account) = deps.accounts.account_by_email(email).await? else {
        tracing::info!(outcome = "no_account", "password reset asked for an unknown address");
        return Ok(());
    };
    let now = deps.clock.now();
    let (secret, token) = OneTimeToken::issue(TokenPurpose::PasswordReset, account.id.clone(), email.clone(), now)?;
    deps.accounts.put_token(&token).await?;
    let link = mail::token_link(&deps.config.portal_url, "wachtwoord-herstellen", &secret);
    let mail = mail::password_reset(&deps.config.mail_from_accounts, email, &link, !account.is_active())?;
    mail::deliver(deps.mailer.as_ref(), "password_reset", &mail).await;
    Ok(())
}

/// POST /accounts/reset-password. An account that was never activated is activated too (the
/// manual's tip: "Wachtwoord vergeten?" rescues a lost activation mail).
pub async fn reset_password(deps: &Deps, presented: &str, password: &Password) -> Result<(), AppError> {
    let now = deps.clock.now();
    let token = take_token(deps, presented, TokenPurpose::PasswordReset, now).await?;
    // An account that was never activated is activated by its new password.
    let activating = !deps.accounts.account(&token.account_id).await?.as_ref().is_some_and(Account::is_active);
    let result = async {
        deps.identity.set_password(&token.email, password).await?;
        if activating {
            deps.identity.confirm(&token.email).await?;
        }
        Ok::<(), IdentityError>(())
    }
    .await;
    match result {
        Ok(()) => {}
        Err(IdentityError::InvalidPassword) => {
            restore(deps, &token).await;
            return Err(weak_password());
        }
        Err(e) => {
            restore(deps, &token).await;
            return Err(identity_failure(e));
        }
    }
    if activating {
        deps.accounts.activate(&token.account_id, now).await?;
    }
    // A new password also lifts the sign-in throttle of this address.
    if let Err(e) = deps.attempts.clear(&sign_in_key(&token.email)).await {
        tracing::warn!(error = %e, "could not clear the sign-in throttle");
    }
    tracing::info!(account = %token.account_id, "password reset");
    Ok(())
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
        other => AppError::Internal(Internal::Identity(other)),
    }
}

/// The throttle key of an address.
fn sign_in_key(email: &Email) -> String {
    throttle_key("signin", email.as_str())
}

/// A key of the attempts store: `kind` and a digest of what is counted (an address, a client
/// id), so the table does not hold it.
pub(crate) fn throttle_key(kind: &str, counted: &str) -> String {
    format!("{kind}#{}", hex::encode(Sha256::digest(counted.as_bytes())))
}

/// 429 with the time left while `key` has `max` failures in its open window.
pub(crate) async fn refuse_if_throttled(
    deps: &Deps,
    key: &str,
    now: chrono::DateTime<chrono::Utc>,
    window: Duration,
    max: u32,
) -> Result<(), AppError> {
    match deps.attempts.attempts(key, now, window).await? {
        Some(attempts) if attempts.failures >= max => {
            let retry_after_seconds = (attempts.window_started_at + window - now).num_seconds();
            Err(AppError::TooManyAttempts { retry_after_seconds })
        }
        _ => Ok(()),
    }
}

/// POST /sessions. One answer for an unknown address and a wrong password; after
/// [`MAX_FAILED_SIGN_INS`] failures in [`SIGN_IN_WINDOW`], 429 until the window closes.
pub async fn sign_in(deps: &Deps, email: &Email, password: &str) -> Result<Session, AppError> {
    let now = deps.clock.now();
    let key = sign_in_key(email);
    refuse_if_throttled(deps, &key, now, SIGN_IN_WINDOW, MAX_FAILED_SIGN_INS).await?;
    // A password that does not meet the policy cannot be anyone's: no need to ask the pool.
    let outcome = match Password::parse("password", password) {
        Ok(password) => deps.identity.sign_in(email, &password).await,
        Err(_) => Err(IdentityError::InvalidCredentials),
    };
    match outcome {
        Ok(session) => {
            if let Err(e) = deps.attempts.clear(&key).await {
                tracing::warn!(error = %e, "could not clear the sign-in throttle");
            }
            Ok(session)
        }
        Err(IdentityError::InvalidCredentials) => {
            deps.attempts.record_failure(&key, now, SIGN_IN_WINDOW).await?;
            Err(AppError::InvalidCredentials)
        }
        Err(IdentityError::NotConfirmed) => Err(AppError::AccountNotActivated),
        Err(e) => Err(identity_failure(e)),
    }
}

/// POST /sessions/refresh.
pub async fn refresh(deps: &Deps, refresh_token: &str) -> Result<Session, AppError> {
    if refresh_token.trim().is_empty() {
        return Err(AppError::InvalidCredentials);
    }
    match deps.identity.refresh(refresh_token).await {
        Ok(session) => Ok(session),
        Err(IdentityError::InvalidCredentials | IdentityError::NotConfirmed) => Err(AppError::InvalidCredentials),
        Err(e) => Err(identity_failure(e)),
    }
}

/// GET /me: the signed-in account. A token whose account the portal does not know is no session.
pub async fn me(deps: &Deps, id: &AccountId) -> Result<Account, AppError> {
    deps.accounts.account(id).await?.ok_or(AppError::Unauthorized)
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

    fn password() -> Password {
        Password::parse("password", "Sterk!Wachtw00rd").unwrap_or_else(|e| panic!("{e}"))
    }

    fn token_in(mail: &OutgoingMail) -> String {
        let start = mail.text.find("token=").map(|i| i + 6).unwrap_or_else(|| panic!("no token in {}", mail.text));
        mail.text[start..].split_whitespace().next().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn a_failed_activation_mail_loses_nothing() {
        let f = fakes();
        f.mailer.fail.store(true, Ordering::SeqCst);
        register(&f.deps, Registration { email: email("a@school.be"), password: password() })
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
        assert!(sign_in(&f.deps, &email("a@school.be"), "Sterk!Wachtw00rd").await.is_ok());
    }

    #[tokio::test]
    async fn a_pool_failure_during_activation_keeps_the_link_working() {
        let f = fakes();
        register(&f.deps, Registration { email: email("b@school.be"), password: password() })
            .await
            .expect("registered");
        let token = token_in(&f.mailer.sent()[0]);
        f.identity.fail_confirm.store(true, Ordering::SeqCst);
        let err = activate(&f.deps, &token).await.expect_err("pool down");
        assert_eq!(err.code(), "internal_error");
        f.identity.fail_confirm.store(false, Ordering::SeqCst);
        activate(&f.deps, &token).await.expect("the same link works once the pool is back");
        assert_eq!(activate(&f.deps, &token).await.expect_err("used").code(), "invalid_token");
    }

    #[tokio::test]
    async fn a_pool_user_without_a_record_is_repaired_on_registering_again() {
        let f = fakes();
        // A registration that reached the pool but not the table.
        f.deps.identity.sign_up(&email("c@school.be"), &password()).await.expect("pool");
        register(&f.deps, Registration { email: email("c@school.be"), password: password() })
            .await
            .expect("registered");
        let account = f.store.account_by_email(&email("c@school.be")).await.expect("store").expect("repaired");
        assert!(!account.is_active());
        let mail = f.mailer.sent().pop().expect("activation mail");
        assert_eq!(mail.subject, mail::ACTIVATION_SUBJECT);
        activate(&f.deps, &token_in(&mail)).await.expect("activated");
    }

    #[tokio::test]
    async fn throttle_counts_per_address_and_resets_on_success() {
        let f = fakes();
        register(&f.deps, Registration { email: email("d@school.be"), password: password() })
            .await
            .expect("registered");
        activate(&f.deps, &token_in(&f.mailer.sent()[0])).await.expect("activated");
        for _ in 0..MAX_FAILED_SIGN_INS - 1 {
            assert_eq!(
                sign_in(&f.deps, &email("d@school.be"), "Fout!Wachtw00rd").await.expect_err("wrong").code(),
                "invalid_credentials"
            );
        }
        // A success before the limit clears the count.
        sign_in(&f.deps, &email("d@school.be"), "Sterk!Wachtw00rd").await.expect("signed in");
        for _ in 0..MAX_FAILED_SIGN_INS - 1 {
            let _ = sign_in(&f.deps, &email("d@school.be"), "Fout!Wachtw00rd").await;
        }
        sign_in(&f.deps, &email("d@school.be"), "Sterk!Wachtw00rd").await.expect("still under the limit");
    }
}
