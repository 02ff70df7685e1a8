use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, PartnerId, TokenHash};

/// The version of the terms and privacy policy a registration accepts (`accept_terms`). Raise it
/// when the terms change; every account records the version it accepted and when.
pub const TERMS_VERSION: &str = "2026-1";

string_newtype! {
    /// The identifier of a partner account: the `sub` the partner user pool gave it.
    pub struct AccountId(String);
    try_from(raw) -> String { Self::parse(raw).ok_or_else(|| format!("not an account id: {raw:?}")) }
}

impl AccountId {
    /// Accepts what a user pool issues as `sub` (a UUID, or letters, digits and dashes).
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty() && raw.len() <= 128 && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| Self(raw.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered; the activation link has not been used yet.
    PendingActivation,
    Active,
}

/// The portal's record of a partner account (the password lives only in the user pool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    /// The partner profile this account is linked to (at most one, manual 3.2).
    pub partner_id: Option<PartnerId>,
    /// The terms version accepted at registration ([`TERMS_VERSION`]) and when; `None` for
    /// accounts registered before the portal recorded it.
    pub terms: Option<AcceptedTerms>,
    /// Sessions (access tokens) issued before this moment are over: a password reset ends every
    /// session. Real time in whole seconds, as the user pool stamps `iat`.
    pub sessions_valid_from: Option<DateTime<Utc>>,
    /// The newest password-reset token issued: an older one no longer works.
    pub reset_token: Option<TokenHash>,
}

/// Which terms an account accepted, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedTerms {
    pub version: String,
    pub accepted_at: DateTime<Utc>,
}

/// A partner account as a request presents it: the token's `sub` and when the user pool issued
/// the token (`iat`, real time). Only [`Account::accepts_session`] turns it into a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: AccountId,
    pub issued_at: DateTime<Utc>,
}

impl Account {
    pub fn register(id: AccountId, email: Email, now: DateTime<Utc>) -> Self {
        Self {
            id,
            email,
            status: AccountStatus::PendingActivation,
            created_at: now,
            activated_at: None,
            partner_id: None,
            // Registration requires `accept_terms`: the terms of now.
            terms: Some(AcceptedTerms { version: TERMS_VERSION.to_owned(), accepted_at: now }),
            sessions_valid_from: None,
            reset_token: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }

    /// Whether a token issued at `issued_at` is still a session of this account: not when a
    /// password reset ended the sessions issued before it.
    pub fn accepts_session(&self, issued_at: DateTime<Utc>) -> bool {
        self.sessions_valid_from.is_none_or(|from| issued_at >= from)
    }
}
