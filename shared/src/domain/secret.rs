use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AccountId, Email};

const TOKEN_BYTES: usize = 32;
/// 32 bytes in unpadded base64url.
const TOKEN_CHARS: usize = 43;

/// A 256-bit secret from the operating system's generator, in base64url. It is shown once (in a
/// mail link or an API answer) and only its [`TokenHash`] is stored. Debug output hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token as a person or a link presents it. Anything that cannot be one of ours is `None`,
    /// so callers answer it exactly as they answer an unknown token.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == TOKEN_CHARS && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == TOKEN_BYTES))
            .then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

/// SHA-256 of a [`SecretToken`], hex encoded: what the table stores and looks tokens up by. A
/// plain digest is enough for a 256-bit random secret; lookup by the digest means the secret
/// itself is never compared byte by byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is the same hash, compared in constant time.
    pub fn matches(&self, other: &TokenHash) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

/// What a single-use link token is for; each has its own lifetime (api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    Activation,
    PasswordReset,
}

impl TokenPurpose {
    pub fn lifetime(self) -> Duration {
        match self {
            Self::Activation => Duration::days(7),
            Self::PasswordReset => Duration::hours(1),
        }
    }
}

/// A stored single-use token: the hash, what it is for, whose it is and until when it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub hash: TokenHash,
    pub purpose: TokenPurpose,
    pub account_id: AccountId,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
}

impl OneTimeToken {
    /// A fresh token for `purpose`, valid from `now` for the purpose's lifetime. The secret is
    /// returned beside it: it goes into the mail and is then forgotten.
    pub fn issue(
        purpose: TokenPurpose,
        account_id: AccountId,
        email: Email,
        now: DateTime<Utc>,
    ) -> Result<(SecretToken, Self), getrandom::Error> {
        let secret = SecretToken::generate()?;
        let token = Self { hash: secret.hash(), purpose, account_id, email, expires_at: now + purpose.lifetime() };
        Ok((secret, token))
    }

    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// What a single-use link can still do, as its holder may be told before using it (they hold the
/// link, so this says nothing about the account they do not already know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// It works: using it now succeeds (unless it expires or is used meanwhile).
    Usable,
    /// Its time is over (the table keeps an expired token a while before its TTL removes it).
    Expired,
    /// A newer link of the same kind was sent since: only that one works.
    Replaced,
    /// No such token: used already, removed after expiring, or never issued.
    Unusable,
}

impl LinkState {
    /// `token`: the stored token of the link, if any; `newest`: the hash of the account's newest
    /// token of this kind (the reset link's [`crate::domain::Account::reset_token`]).
    pub fn decide(token: Option<&OneTimeToken>, newest: Option<&TokenHash>, now: DateTime<Utc>) -> Self {
        match token {
            None => Self::Unusable,
            Some(t) if newest != Some(&t.hash) => Self::Replaced,
            Some(t) if !t.is_valid_at(now) => Self::Expired,
            Some(_) => Self::Usable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = SecretToken::generate().expect("os random");
        let b = SecretToken::generate().expect("os random");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), TOKEN_CHARS);
        assert_eq!(SecretToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.hash().as_str().len(), 64);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(format!("{a:?}"), "SecretToken(***)");
    }

    #[test]
    fn refuses_what_we_never_issued() {
        assert_eq!(SecretToken::parse(""), None);
        assert_eq!(SecretToken::parse("abc"), None);
        assert_eq!(SecretToken::parse(&"!".repeat(TOKEN_CHARS)), None);
    }

    #[test]
    fn expires_after_its_lifetime() {
        let now = Utc::now();
        let account = AccountId::parse("0b7e4c1e-2f6a-4c8e-9d1a-3f2b5c6d7e8f").expect("id");
        let email = Email::parse("email", "a@school.be").expect("email");
        let (_, token) = OneTimeToken::issue(TokenPurpose::PasswordReset, account, email, now).expect("issue");
        assert!(token.is_valid_at(now + Duration::minutes(59)));
        assert!(!token.is_valid_at(now + Duration::hours(1)));
    }

    #[test]
    fn a_link_is_usable_only_while_stored_newest_and_in_time() {
        let now = Utc::now();
        let account = AccountId::parse("0b7e4c1e-2f6a-4c8e-9d1a-3f2b5c6d7e8f").expect("id");
        let email = Email::parse("email", "a@school.be").expect("email");
        let (_, token) =
            OneTimeToken::issue(TokenPurpose::PasswordReset, account.clone(), email.clone(), now).expect("issue");
        let (_, newer) = OneTimeToken::issue(TokenPurpose::PasswordReset, account, email, now).expect("issue");
        let later = now + Duration::hours(1);
        assert_eq!(LinkState::decide(Some(&token), Some(&token.hash), now), LinkState::Usable);
        assert_eq!(LinkState::decide(Some(&token), Some(&token.hash), later), LinkState::Expired);
        assert_eq!(LinkState::decide(Some(&token), Some(&newer.hash), now), LinkState::Replaced);
        assert_eq!(LinkState::decide(Some(&token), None, now), LinkState::Replaced);
        assert_eq!(LinkState::decide(None, Some(&token.hash), now), LinkState::Unusable);
        assert_eq!(serde_json::to_value(LinkState::Usable).expect("json"), serde_json::json!("usable"));
    }
}
