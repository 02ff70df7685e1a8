//! The nouns of the partner manual and their rules. No AWS types here.

/// A string type whose values passed its rules: the type's own `parse` says what is valid, and
/// this macro writes the rest once. It gives the struct (a private `String`, so only `parse` and
/// the type's own constructors make one), `as_str`, `Display`, serde as a plain string that is
/// checked again when read (`try_from(raw) -> Error { … }` with `raw: &str`), and the conversion
/// back to `String`. Extra derives follow the struct: `pub struct Category(String): PartialOrd, Ord;`.
macro_rules! string_newtype {
    (
        $(#[$meta:meta])*
        pub struct $name:ident(String) $(: $($extra:ident),+)?;
        try_from($raw:ident) -> $error:ty $parse:block
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize $($(, $extra)+)?)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                let $raw: &str = &value;
                $parse
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

mod access;
mod access_change;
mod account;
mod application;
mod change;
mod client;
mod email;
#[cfg(test)]
mod fixtures;
mod jwks;
mod log;
mod logo;
mod moderation;
mod oauth;
mod password;
mod profile;
mod profile_change;
mod refusal;
mod secret;
mod suspension;
mod text;

pub use access::{
    AccessRequest, AccessRequestId, AccessRequestStatus, AdminRights, Grant, MAILS_PER_APPLICATION_PER_DAY,
    MAILS_PER_PARTNER_PER_DAY, MAX_ADDRESSES, MailBudget, MailLimit, SchoolAccess, SchoolAdmin, link_expiry,
    next_utc_midnight, parse_addresses, seconds_until_tomorrow,
};
pub use access_change::{AccessAsk, AccessDecision, AccessPlan, AccessState, administers, decide_access, not_approved};
pub use account::{AcceptedTerms, Account, AccountId, AccountStatus, Caller, TERMS_VERSION};
pub use application::{
    Api, Application, ApplicationFields, ApplicationId, ApplicationStatus, CONTACT_LINK_LIFETIME, ClientId,
    ContactDecision, ContactEmail, ContactLink, Institution, InvalidTransition, Scope, apis, notification_recipients,
};
pub use change::Change;
pub use client::{ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES, Client, SecretError, SecretHash, StoredSecret};
pub use email::Email;
pub use jwks::{
    AssertionClaims, CLOCK_SKEW, ClientJwks, ClientKey, MAX_ASSERTION_LIFETIME, MAX_KEYS, PublicKeys, RegisteredKey,
};
pub use log::{INFORMAT, LogAction, LogEntry, SYSTEM};
pub use logo::{Logo, LogoFormat, LogoImage, LogoRefusal, MAX_DECODE_BYTES, MAX_LOGO_BYTES, MAX_LOGO_SIDE};
pub use moderation::{Moderation, decide_approval, decide_archiving, decide_rejection};
pub use oauth::{
    ClientAuth, JWT_BEARER, MAX_TOKEN_REQUEST, OAuthError, OAuthErrorCode, TokenRequest, is_error_description,
};
pub use password::{MIN_STRENGTH, NewPassword, Password};
pub use profile::{
    Address, CATEGORIES, Category, EnterpriseNumber, PartnerId, Profile, ProfileFields, ProfileName, Website,
    categories, search_text, text,
};
pub use profile_change::{
    BackToReview, LogoChange, MAX_RESUBMITTED, NewProfile, ProfileEdit, already_linked, decide_logo,
    decide_new_profile, decide_profile_edit,
};
pub use refusal::Refusal;
pub use secret::{LinkState, OneTimeToken, SecretToken, StaffResetToken, StaffRole, TokenHash, TokenPurpose};
pub use suspension::{Activation, REASON_PROPERTY, Suspension, decide_activation};
pub use text::{shown, visible_text};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_newtypes_check_what_they_read_and_write_the_plain_string() {
        let id = ApplicationId::new();
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("\"{}\"", id.as_str()));
        assert_eq!(serde_json::from_str::<ApplicationId>(&json).expect("read back"), id);
        assert_eq!(id.to_string(), id.as_str());
        assert_eq!(String::from(id.clone()), id.as_str());
        // A stored value that breaks the rules is refused when read, with the type's own error.
        let err = serde_json::from_str::<ApplicationId>("\"../other\"").expect_err("not an id");
        assert!(err.to_string().contains("not an application id"), "{err}");
        let err = Email::try_from("geen adres".to_owned()).expect_err("not an address");
        assert_eq!(err.field, "email");
        assert_eq!(Category::try_from("administratie".to_owned()).expect("a category").as_str(), "administratie");
        assert!(Category::try_from("onbestaand".to_owned()).is_err());
    }
}
