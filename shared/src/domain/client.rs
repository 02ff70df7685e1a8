//! OAuth2 clients (manual 2.2: "Client: technische toegangssleutel tot de API") and their
//! secrets. A secret the portal generates is 256 random bits and stored as SHA-256; a secret
//! imported from the existing client registry has unknown strength and stays argon2id. Both
//! are checked in constant time.

use std::collections::BTreeSet;
use std::fmt;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::{Api, ApplicationId, ClientId, ClientJwks, PartnerId, Scope, SecretToken};

/// The argon2id cost for imported secrets, chosen by measuring (see `benches/secrets.rs` and
/// docs/figures.md): OWASP's floor of 19 MiB, 2 passes, 1 lane.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;
/// The most an imported hash may ask for, so one verification can never exhaust a function.
const ARGON2_MAX_MEMORY_KIB: u32 = 64 * 1024;
const ARGON2_MAX_PASSES: u32 = 10;

fn argon2id() -> Result<Argon2<'static>, SecretError> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| SecretError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("argon2: {0}")]
    Argon2(String),
    #[error("the hash is not an argon2id PHC string within the allowed cost: {0}")]
    UnacceptableHash(String),
}

/// How a secret is stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "hash", rename_all = "snake_case")]
pub enum SecretHash {
    /// SHA-256 (hex) of a 256-bit secret the portal generated.
    Sha256(String),
    /// An argon2id PHC string (`$argon2id$v=19$m=...`) of an imported secret.
    Argon2id(String),
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sha256(_) => f.write_str("Sha256(***)"),
            Self::Argon2id(_) => f.write_str("Argon2id(***)"),
        }
    }
}

impl SecretHash {
    /// The digest of a secret the portal generated.
    pub fn of_generated(secret: &SecretToken) -> Self {
        Self::Sha256(hex::encode(Sha256::digest(secret.expose().as_bytes())))
    }

    /// An imported secret in clear: hashed with argon2id and a random salt.
    pub fn of_imported(secret: &str) -> Result<Self, SecretError> {
        let hash = argon2id()?.hash_password(secret.as_bytes()).map_err(|e| SecretError::Argon2(e.to_string()))?;
        Ok(Self::Argon2id(hash.to_string()))
    }

    /// An imported argon2id hash, accepted only when it is argon2id and its cost is bounded.
    pub fn of_imported_hash(phc: &str) -> Result<Self, SecretError> {
        let parsed = PasswordHash::new(phc).map_err(|e| SecretError::UnacceptableHash(e.to_string()))?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(SecretError::UnacceptableHash(format!("algorithm {}", parsed.algorithm)));
        }
        let params = Params::try_from(&parsed).map_err(|e| SecretError::UnacceptableHash(e.to_string()))?;
        if params.m_cost() > ARGON2_MAX_MEMORY_KIB || params.t_cost() > ARGON2_MAX_PASSES || params.p_cost() > 4 {
            return Err(SecretError::UnacceptableHash(format!(
                "m={} t={} p={} is above m={ARGON2_MAX_MEMORY_KIB} t={ARGON2_MAX_PASSES} p=4",
                params.m_cost(),
                params.t_cost(),
                params.p_cost()
            )));
        }
        Ok(Self::Argon2id(phc.to_owned()))
    }

    /// Whether `presented` is the secret, in constant time (argon2 compares its output in
    /// constant time itself).
    pub fn verifies(&self, presented: &str) -> bool {
        match self {
            Self::Sha256(stored) => {
                let digest = hex::encode(Sha256::digest(presented.as_bytes()));
                bool::from(digest.as_bytes().ct_eq(stored.as_bytes()))
            }
            Self::Argon2id(phc) => PasswordHash::new(phc)
                .ok()
                .is_some_and(|parsed| Argon2::default().verify_password(presented.as_bytes(), &parsed).is_ok()),
        }
    }
}

/// One secret of a client; a replaced secret may stay valid for a grace period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    pub hash: SecretHash,
    pub created_at: DateTime<Utc>,
    /// `None`: valid until replaced.
    pub valid_until: Option<DateTime<Utc>>,
}

impl StoredSecret {
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_until.is_none_or(|until| now < until)
    }
}

/// A client as the token endpoint needs it: one item, everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    /// The application it belongs to; `None` for an imported client nobody linked yet.
    pub application_id: Option<ApplicationId>,
    pub partner_id: Option<PartnerId>,
    /// Whether it may get tokens: its application is approved.
    pub active: bool,
    /// Its partner is deactivated (api.md: suspended): no token until Informat activates the
    /// partner again. Written in the same transaction as the partner's deactivation, so the
    /// token endpoint reads it with the client in its one Query.
    #[serde(default)]
    pub partner_suspended: bool,
    /// The APIs its application has checked (for an unlinked import: those of its scopes).
    pub apis: BTreeSet<Api>,
    /// The rights schools granted, `api:instellingsnummer`.
    pub scopes: BTreeSet<Scope>,
    /// Scopes of the existing registry that the portal cannot take over (manual 4: scopes for
    /// non-active access groups in Rekeningen); while there are any, the client cannot be linked.
    #[serde(default)]
    pub blocked_scopes: Vec<String>,
    /// The current secret first; at most one earlier secret still in its grace period.
    pub secrets: Vec<StoredSecret>,
    /// Public keys for `private_key_jwt` (PUT /applications/{id}/jwks); empty: secrets only.
    #[serde(default)]
    pub jwks: ClientJwks,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Client {
    /// Whether `presented` is one of its secrets that is valid at `now`. Every stored secret is
    /// checked, so the time taken does not say which one matched.
    pub fn secret_matches(&self, presented: &str, now: DateTime<Utc>) -> bool {
        self.secrets.iter().fold(false, |ok, s| s.hash.verifies(presented) & s.is_valid_at(now) | ok)
    }

    /// Like [`Self::secret_matches`], but only against secrets the portal generated: a cheap
    /// SHA-256 check that is safe to offer while failed attempts are throttled, because nobody
    /// can guess 256 random bits (an imported secret of unknown strength could be guessed).
    pub fn generated_secret_matches(&self, presented: &str, now: DateTime<Utc>) -> bool {
        self.secrets.iter().fold(false, |ok, s| {
            matches!(s.hash, SecretHash::Sha256(_)) & s.hash.verifies(presented) & s.is_valid_at(now) | ok
        })
    }

    /// The scopes a token of this client carries: what schools granted, for the APIs its
    /// application has checked.
    pub fn token_scopes(&self) -> BTreeSet<Scope> {
        self.scopes.iter().filter(|s| self.apis.contains(&s.api)).cloned().collect()
    }

    /// The APIs its scopes cover: what a linked application gets checked (manual 3.3.3).
    pub fn scope_apis(&self) -> BTreeSet<Api> {
        self.scopes.iter().map(|s| s.api).collect()
    }

    /// Replaces the secrets by `new`; the current one stays valid until `previous_valid_until`
    /// when that is later than `now`.
    pub fn with_new_secret(&self, new: SecretHash, now: DateTime<Utc>, previous_valid_until: DateTime<Utc>) -> Self {
        let mut secrets = vec![StoredSecret { hash: new, created_at: now, valid_until: None }];
        if previous_valid_until > now
            && let Some(current) = self.secrets.iter().find(|s| s.valid_until.is_none())
        {
            secrets.push(StoredSecret { valid_until: Some(previous_valid_until), ..current.clone() });
        }
        Self { secrets, updated_at: now, version: self.version + 1, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_sha256_and_checked_exactly() {
        let secret = SecretToken::generate().expect("random");
        let hash = SecretHash::of_generated(&secret);
        assert!(hash.verifies(secret.expose()));
        assert!(!hash.verifies(&secret.expose()[1..]));
        assert!(!hash.verifies(""));
        assert!(!format!("{hash:?}").contains(&secret.expose()[..8]), "Debug hides the hash");
    }

    #[test]
    fn imported_secrets_are_argon2id_and_bounded() {
        let hash = SecretHash::of_imported("legacy-secret").expect("hash");
        let SecretHash::Argon2id(phc) = &hash else { panic!("argon2id") };
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hash.verifies("legacy-secret"));
        assert!(!hash.verifies("legacy-secreT"));
        assert_eq!(SecretHash::of_imported_hash(phc).expect("accepted"), hash);
        let greedy = phc.replace("m=19456", "m=1048576");
        assert!(SecretHash::of_imported_hash(&greedy).is_err(), "a hash that would take 1 GiB is refused");
        assert!(SecretHash::of_imported_hash("$2b$12$abcdefghijklmnopqrstuv").is_err(), "bcrypt is not argon2id");
    }

    #[test]
    fn rotation_keeps_the_previous_secret_for_its_grace_period_only() {
        let now = Utc::now();
        let first = SecretToken::generate().expect("random");
        let client = Client {
            secrets: vec![StoredSecret { hash: SecretHash::of_generated(&first), created_at: now, valid_until: None }],
            ..crate::domain::fixtures::client("c")
        };
        let second = SecretToken::generate().expect("random");
        let grace = client.with_new_secret(SecretHash::of_generated(&second), now, now + chrono::Duration::hours(1));
        assert!(grace.secret_matches(second.expose(), now));
        assert!(grace.secret_matches(first.expose(), now), "in its grace period");
        assert!(!grace.secret_matches(first.expose(), now + chrono::Duration::hours(2)), "after it");
        let third = SecretToken::generate().expect("random");
        let rotated = grace.with_new_secret(SecretHash::of_generated(&third), now, now);
        assert_eq!(rotated.secrets.len(), 1, "no grace: the old secret stops at once");
        assert!(!rotated.secret_matches(second.expose(), now));
    }
}
