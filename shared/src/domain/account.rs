use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, PartnerId};

/// The identifier of a partner account: the `sub` the partner user pool gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Accepts what a user pool issues as `sub` (a UUID, or letters, digits and dashes).
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty() && raw.len() <= 128 && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("not an account id: {value:?}"))
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
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
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }
}
