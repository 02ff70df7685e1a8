//! Partner accounts in the partner user pool, and sign-in to either pool. The pool never sends
//! mail itself: the portal confirms users with admin calls after its own activation link was used.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType, UserStatusType};

use crate::domain::{AccountId, Email, Password, StaffRole};
use crate::ports::{Identity, IdentityError, PoolUser, Session, Sessions, StaffAccounts};

/// The partner pool: accounts (admin calls on the pool) and their sessions (its app client).
pub struct CognitoIdentity {
    client: Client,
    pool_id: String,
    client_id: String,
    sessions: CognitoSessions,
}

impl CognitoIdentity {
    pub fn new(client: Client, pool_id: String, client_id: String) -> Self {
        let sessions = CognitoSessions::new(client.clone(), client_id.clone());
        Self { client, pool_id, client_id, sessions }
    }
}

/// Sign-in, refresh and sign-out through one app client (`InitiateAuth`, `RevokeToken`: public
/// client calls, no IAM).
pub struct CognitoSessions {
    client: Client,
    client_id: String,
}

impl CognitoSessions {
    pub fn new(client: Client, client_id: String) -> Self {
        Self { client, client_id }
    }
}

/// The staff pool's users (admin calls on the staff pool: AdminListGroupsForUser,
/// AdminSetUserPassword, AdminUserGlobalSignOut).
pub struct CognitoStaff {
    client: Client,
    pool_id: String,
}

impl CognitoStaff {
    pub fn new(client: Client, pool_id: String) -> Self {
        Self { client, pool_id }
    }
}

/// Maps a pool error by its code; what we do not expect is `Unavailable` with the whole context.
fn classify<E>(err: aws_sdk_cognitoidentityprovider::error::SdkError<E>) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.code() {
        Some("UsernameExistsException" | "AliasExistsException") => IdentityError::AlreadyExists,
        Some("InvalidPasswordException") => IdentityError::InvalidPassword,
        Some("NotAuthorizedException" | "UserNotFoundException" | "PasswordResetRequiredException") => {
            IdentityError::InvalidCredentials
        }
        Some("UserNotConfirmedException") => IdentityError::NotConfirmed,
        Some("TooManyRequestsException" | "TooManyFailedAttemptsException" | "LimitExceededException") => {
            IdentityError::TooManyRequests
        }
        // A username or attribute the pool will not take (the portal's Email type should have
        // refused it first): the caller's input, never our failure.
        Some("InvalidParameterException") => IdentityError::InvalidParameter(err.message().unwrap_or("").to_owned()),
        _ => IdentityError::Unavailable(DisplayErrorContext(&err).to_string()),
    }
}

/// The tokens of a finished sign-in. A challenge (a temporary password an administrator set,
/// for staff users) is not a session: the user must choose a new password first.
fn session(out: &InitiateAuthOutput, refresh_fallback: bool) -> Result<Session, IdentityError> {
    if out.challenge_name() == Some(&ChallengeNameType::NewPasswordRequired) {
        return Err(IdentityError::PasswordChangeRequired);
    }
    let result = out
        .authentication_result()
        .ok_or_else(|| IdentityError::Unavailable("the pool asked for a challenge the portal does not use".into()))?;
    let (Some(access), Some(id)) = (result.access_token(), result.id_token()) else {
        return Err(IdentityError::Unavailable("the pool returned no tokens".into()));
    };
    Ok(Session {
        access_token: access.to_owned(),
        id_token: id.to_owned(),
        refresh_token: if refresh_fallback { None } else { result.refresh_token().map(str::to_owned) },
        expires_in: i64::from(result.expires_in()),
        token_type: result.token_type().unwrap_or("Bearer").to_owned(),
    })
}

#[async_trait]
impl Identity for CognitoIdentity {
    async fn sign_up(&self, email: &Email, password: &Password) -> Result<AccountId, IdentityError> {
        // No `email` attribute: the pool sets it from the username (email is the username
        // attribute), and the client may not write it (template.yaml, WriteAttributes).
        let out = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .password(password.expose())
            .send()
            .await
            .map_err(classify)?;
        AccountId::parse(out.user_sub())
            .ok_or_else(|| IdentityError::Unavailable("the pool returned an unusable sub".into()))
    }

    async fn find_user(&self, email: &Email) -> Result<Option<PoolUser>, IdentityError> {
        let out = match self.client.admin_get_user().user_pool_id(&self.pool_id).username(email.as_str()).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("UserNotFoundException") => return Ok(None),
            Err(e) => return Err(classify(e)),
        };
        let sub = out
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .and_then(AccountId::parse)
            .ok_or_else(|| IdentityError::Unavailable("the pool's user has no sub".into()))?;
        Ok(Some(PoolUser { id: sub, confirmed: out.user_status() != Some(&UserStatusType::Unconfirmed) }))
    }

    async fn confirm(&self, email: &Email) -> Result<(), IdentityError> {
        match self.client.admin_confirm_sign_up().user_pool_id(&self.pool_id).username(email.as_str()).send().await {
            Ok(_) => Ok(()),
            // Already confirmed (for example through a password reset): nothing to do.
            Err(e) if e.code() == Some("NotAuthorizedException") => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError> {
        set_permanent_password(&self.client, &self.pool_id, email, password).await
    }

    async fn sign_out_everywhere(&self, email: &Email) -> Result<(), IdentityError> {
        global_sign_out(&self.client, &self.pool_id, email).await
    }
}

#[async_trait]
impl Sessions for CognitoSessions {
    async fn sign_in(&self, email: &Email, password: &Password) -> Result<Session, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", password.expose())
            .send()
            .await
            .map_err(classify)?;
        session(&out, false)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(classify)?;
        session(&out, true)
    }

    async fn revoke(&self, refresh_token: &str) -> Result<(), IdentityError> {
        // RevokeToken, like InitiateAuth, is a public client call (the client id, no secret,
        // no IAM). A token that is unknown, malformed or already revoked is no failure: the
        // caller learns nothing about which tokens exist.
        match self.client.revoke_token().client_id(&self.client_id).token(refresh_token).send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.code() {
                Some(
                    "NotAuthorizedException"
                    | "UnauthorizedException"
                    | "UnsupportedTokenTypeException"
                    | "InvalidParameterException",
                ) => Ok(()),
                _ => Err(classify(err)),
            },
        }
    }
}

#[async_trait]
impl Sessions for CognitoIdentity {
    async fn sign_in(&self, email: &Email, password: &Password) -> Result<Session, IdentityError> {
        self.sessions.sign_in(email, password).await
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        self.sessions.refresh(refresh_token).await
    }

    async fn revoke(&self, refresh_token: &str) -> Result<(), IdentityError> {
        self.sessions.revoke(refresh_token).await
    }
}

#[async_trait]
impl StaffAccounts for CognitoStaff {
    async fn role(&self, email: &Email) -> Result<Option<StaffRole>, IdentityError> {
        // One call says both whether the user exists and what it is. A user is in a handful of
        // groups at most; the pages are followed all the same.
        let mut pages = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool_id)
            .username(email.as_str())
            .into_paginator()
            .send();
        let mut groups = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) if e.code() == Some("UserNotFoundException") => return Ok(None),
                Err(e) => return Err(classify(e)),
            };
            groups.extend(page.groups().iter().filter_map(|g| g.group_name().map(str::to_owned)));
        }
        Ok(Some(StaffRole::of_groups(groups.iter().map(String::as_str))))
    }

    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError> {
        set_permanent_password(&self.client, &self.pool_id, email, password).await
    }

    async fn sign_out_everywhere(&self, email: &Email) -> Result<(), IdentityError> {
        global_sign_out(&self.client, &self.pool_id, email).await
    }
}

/// A permanent password for the user of `pool` (both pools: a reset, an activation).
async fn set_permanent_password(
    client: &Client,
    pool: &str,
    email: &Email,
    password: &Password,
) -> Result<(), IdentityError> {
    client
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(email.as_str())
        .password(password.expose())
        .permanent(true)
        .send()
        .await
        .map(|_| ())
        .map_err(classify)
}

/// Revokes every refresh token of the user of `pool`.
async fn global_sign_out(client: &Client, pool: &str, email: &Email) -> Result<(), IdentityError> {
    client
        .admin_user_global_sign_out()
        .user_pool_id(pool)
        .username(email.as_str())
        .send()
        .await
        .map(|_| ())
        .map_err(classify)
}
