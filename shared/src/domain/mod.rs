//! The nouns of the partner manual and their rules. No AWS types here.

mod access;
mod account;
mod application;
mod client;
mod email;
mod jwks;
mod log;
mod logo;
mod oauth;
mod password;
mod profile;
mod secret;
mod text;

pub use access::{
    AccessRequest, AccessRequestId, AccessRequestStatus, AdminRights, Grant, MAX_ADDRESSES, SchoolAccess, link_expiry,
    parse_addresses,
};
pub use account::{AcceptedTerms, Account, AccountId, AccountStatus, Caller, TERMS_VERSION};
pub use application::{
    Api, Application, ApplicationFields, ApplicationId, ApplicationStatus, ClientId, Institution, InvalidTransition,
    Scope, apis,
};
pub use client::{ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES, Client, SecretError, SecretHash, StoredSecret};
pub use email::Email;
pub use jwks::{AssertionClaims, CLOCK_SKEW, ClientJwks, ClientKey, MAX_ASSERTION_LIFETIME, MAX_KEYS};
pub use log::{LogAction, LogEntry};
pub use logo::{Logo, LogoFormat, LogoImage, LogoRefusal, MAX_DECODE_BYTES, MAX_LOGO_BYTES, MAX_LOGO_SIDE};
pub use oauth::{
    ClientAuth, JWT_BEARER, MAX_TOKEN_REQUEST, OAuthError, OAuthErrorCode, TokenRequest, is_error_description,
};
pub use password::{MIN_STRENGTH, NewPassword, Password};
pub use profile::{
    Address, CATEGORIES, Category, EnterpriseNumber, PartnerId, Profile, ProfileFields, ProfileName, Website,
    categories, search_text, text,
};
pub use secret::{OneTimeToken, SecretToken, TokenHash, TokenPurpose};
pub use text::visible_text;

/// Why a value was refused; the `code` is stable, the message is Dutch and shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into() }
    }

    pub fn required(field: &'static str) -> Self {
        Self::new(field, "required", "Dit veld is verplicht.")
    }
}
