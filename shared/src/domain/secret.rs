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

/// A stored "Wachtwoord vergeten?" token of a back-office user (the staff pool): the hash, the
/// user's address and until when it works. Staff users have no account item, so the token names
/// the user by its address (the staff pool's username); only the user's newest one works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffResetToken {
    pub hash: TokenHash,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
}

impl StaffResetToken {
    /// A fresh token for `email`, valid from `now` as long as a partner's reset link.
    pub fn issue(email: Email, now: DateTime<Utc>) -> Result<(SecretToken, Self), getrandom::Error> {
        let secret = SecretToken::generate()?;
        let token = Self { hash: secret.hash(), email, expires_at: now + TokenPurpose::PasswordReset.lifetime() };
        Ok((secret, token))
    }

    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Whether this token may still set a password: unexpired at `now` and the newest one the
    /// user was sent (`newest`, as stored beside the user).
    pub fn usable(&self, newest: Option<&TokenHash>, now: DateTime<Utc>) -> bool {
        self.is_valid_at(now) && newest.is_some_and(|n| n.matches(&self.hash))
    }
}

/// What a back-office user is, as the staff pool's groups say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// In the `moderators` group: Informat's own people.
    Moderator,
    /// Any other user of the staff pool (a school administrator, with rights in
    /// `custom:admin_scopes`): signs in with its Informat account, not with a portal password.
    Other,
}

impl StaffRole {
    /// The group of the staff pool that makes a user a moderator (template.yaml ModeratorsGroup).
    pub const MODERATORS_GROUP: &str = "moderators";

    pub fn of_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Self {
        if groups.into_iter().any(|g| g == Self::MODERATORS_GROUP) { Self::Moderator } else { Self::Other }
    }

    /// Whether "Wachtwoord vergeten?" of the back office is for this user: only moderators keep
    /// an e-mail address and a password (issue 22); `None` is an address the pool does not know.
    pub fn may_reset_password(role: Option<Self>) -> bool {
        role == Some(Self::Moderator)
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
    fn a_staff_reset_token_works_only_while_valid_and_newest() {
        let now = Utc::now();
        let email = Email::parse("email", "moderator@informat.be").expect("email");
        let (secret, token) = StaffResetToken::issue(email.clone(), now).expect("issue");
        assert_eq!(secret.hash(), token.hash);
        assert!(token.usable(Some(&token.hash), now + Duration::minutes(59)));
        assert!(!token.usable(Some(&token.hash), now + Duration::hours(1)), "expired");
        let (_, newer) = StaffResetToken::issue(email, now).expect("issue");
        assert!(!token.usable(Some(&newer.hash), now), "a newer link was sent");
        assert!(!token.usable(None, now), "no newest stored");
    }

    #[test]
    fn only_a_moderator_may_reset_a_back_office_password() {
        assert_eq!(StaffRole::of_groups(["moderators"]), StaffRole::Moderator);
        assert_eq!(StaffRole::of_groups(["andere", "moderators"]), StaffRole::Moderator);
        assert_eq!(StaffRole::of_groups([]), StaffRole::Other);
        assert_eq!(StaffRole::of_groups(["moderator"]), StaffRole::Other);
        assert!(StaffRole::may_reset_password(Some(StaffRole::Moderator)));
        assert!(!StaffRole::may_reset_password(Some(StaffRole::Other)));
        assert!(!StaffRole::may_reset_password(None));
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
