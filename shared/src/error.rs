//! The one error type of the application layer. Every operation returns it; [`crate::http`] maps
//! it, once, to an RFC 9457 problem response with the contract's `code`.

use lambda_http::http::StatusCode;

use crate::domain::{FieldError, Refusal};
use crate::ports::{IdentityError, MailError, Stale, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("logo of {size} bytes is too large")]
    LogoTooLarge { size: usize },
    #[error("logo is not PNG, JPEG or WebP")]
    UnsupportedLogoType,
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid, used or expired token")]
    InvalidToken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account not activated")]
    AccountNotActivated,
    /// A refused request with its own contract code (400) and a Dutch sentence.
    #[error("refused: {code}")]
    Refused { code: &'static str, detail: String },
    /// A conflict with stored state: the contract's code and a Dutch sentence.
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    /// Known, but not allowed: the contract's code (403) and a Dutch sentence.
    #[error("denied: {code}")]
    Denied { code: &'static str, detail: String },
    /// A link that was valid once and is no more (410).
    #[error("gone: {code}")]
    Gone { code: &'static str, detail: String },
    #[error("the account has no partner profile")]
    ProfileNotLinked,
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: i64 },
    /// A daily limit reached (429): the contract's code, and the field it concerns with its
    /// Dutch message, answered with `Retry-After`.
    #[error("limit reached: {code}; retry after {retry_after_seconds} s")]
    Limited { code: &'static str, field: FieldError, retry_after_seconds: i64 },
    /// What the caller read changed before its write, and a retry did not help (409
    /// `version_conflict`, the sentence names what changed). Retried once by the operations'
    /// one helper (`operations::common::retry_stale`).
    #[error("stale: the {0:?} changed since it was read")]
    Stale(Stale),
    #[error("internal: {0}")]
    Internal(#[from] Internal),
}

/// Failures that are ours, not the caller's: logged with their cause, answered generically.
#[derive(Debug, thiserror::Error)]
pub enum Internal {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("the operating system's random generator failed: {0}")]
    Random(#[from] getrandom::Error),
    #[error("a mail template failed to render: {0}")]
    Template(#[from] minijinja::Error),
    #[error(transparent)]
    Signer(#[from] crate::ports::SignerError),
    #[error("{0}")]
    Invariant(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Stale(what) => Self::Stale(what),
            StoreError::InvalidCursor => Self::InvalidRequest(
                "De cursor is ongeldig: gebruik de next_cursor uit het vorige antwoord van deze lijst.".into(),
            ),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::ports::SignerError> for AppError {
    fn from(e: crate::ports::SignerError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<getrandom::Error> for AppError {
    fn from(e: getrandom::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::Validation(vec![e])
    }
}

/// The one mapping of the domain's refusals to answers.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(field) => field.into(),
            Refusal::NotFound => Self::NotFound,
            Refusal::Conflict { code, detail } => Self::Conflict { code, detail },
            Refusal::Denied { code, detail } => Self::Denied { code, detail },
            Refusal::PartnerInactive => Self::partner_inactive(),
        }
    }
}

/// What a suspended partner reads when it tries to change something.
pub const PARTNER_INACTIVE: &str = "Je partnerprofiel werd door Informat gedeactiveerd. Zolang het niet opnieuw geactiveerd is, kan je geen applicaties aanmaken of wijzigen en geen toegang aanvragen, en krijgen je clients geen tokens. Neem contact op met Informat.";

/// The constructors the operations share: one place for each code and its Dutch sentence.
impl AppError {
    /// 409 with the contract's `code` and a Dutch sentence.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    /// 409 `version_conflict`: what the caller read changed before its write, and a retry did
    /// not help. The sentence names what changed.
    pub fn version_conflict(what: Stale) -> Self {
        Self::Stale(what)
    }

    fn stale_detail(what: Stale) -> &'static str {
        match what {
            Stale::Profile => {
                "Het profiel werd intussen door iemand anders gewijzigd. Laad het opnieuw en doe je aanpassingen nog eens."
            }
            Stale::Application => {
                "De applicatie werd intussen door iemand anders gewijzigd. Laad ze opnieuw en doe je aanpassingen nog eens."
            }
            Stale::Client => {
                "De client werd intussen door iemand anders gewijzigd. Laad de pagina opnieuw en probeer het nog eens."
            }
        }
    }

    /// 409 `partner_inactive`: Informat deactivated the partner.
    pub fn partner_inactive() -> Self {
        Self::conflict("partner_inactive", PARTNER_INACTIVE)
    }

    /// Something stored that cannot be so (a link to a missing profile): ours, answered 500.
    pub fn invariant(what: impl Into<String>) -> Self {
        Self::Internal(Internal::Invariant(what.into()))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::InvalidRequest(_) | Self::InvalidToken => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge | Self::LogoTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedLogoType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::AccountNotActivated => StatusCode::FORBIDDEN,
            Self::NotFound | Self::ProfileNotLinked => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::Stale(_) => StatusCode::CONFLICT,
            Self::Refused { .. } => StatusCode::BAD_REQUEST,
            Self::Denied { .. } => StatusCode::FORBIDDEN,
            Self::Gone { .. } => StatusCode::GONE,
            Self::TooManyAttempts { .. } | Self::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code of api.md.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::InvalidRequest(_) => "invalid_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::LogoTooLarge { .. } => "logo_too_large",
            Self::UnsupportedLogoType => "unsupported_logo_type",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict { code, .. }
            | Self::Refused { code, .. }
            | Self::Denied { code, .. }
            | Self::Gone { code, .. }
            | Self::Limited { code, .. } => code,
            Self::Stale(_) => "version_conflict",
            Self::ProfileNotLinked => "profile_not_linked",
            Self::InvalidToken => "invalid_token",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountNotActivated => "account_not_activated",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The Dutch sentence shown to the person.
    pub fn detail(&self) -> String {
        match self {
            Self::Validation(errors) if errors.len() == 1 => errors[0].message.clone(),
            Self::Validation(_) => "Niet alle gegevens zijn correct ingevuld. Bekijk de foutmeldingen per veld.".into(),
            Self::InvalidRequest(why) => why.clone(),
            Self::PayloadTooLarge => "De aanvraag is te groot (maximaal 64 KiB).".into(),
            Self::LogoTooLarge { size } => format!(
                "Het logo is te groot ({}): een logo mag maximaal 1 MB (1.048.576 bytes) zijn.",
                size_text(*size)
            ),
            Self::UnsupportedLogoType => format!(
                "Dit bestand is geen volledige, leesbare PNG-, JPEG- of WebP-afbeelding, of het is groter dan {side} × {side} pixels. Andere formaten, zoals SVG, worden niet aanvaard.",
                side = crate::domain::MAX_LOGO_SIDE
            ),
            Self::Unauthorized => "Meld je aan om verder te gaan; je sessie ontbreekt of is verlopen.".into(),
            Self::Forbidden => "Je hebt geen rechten voor deze actie.".into(),
            Self::NotFound => "Deze pagina of dit item bestaat niet.".into(),
            Self::Conflict { detail, .. }
            | Self::Refused { detail, .. }
            | Self::Denied { detail, .. }
            | Self::Gone { detail, .. } => detail.clone(),
            Self::Stale(what) => Self::stale_detail(*what).into(),
            Self::ProfileNotLinked => "Je account is nog niet gekoppeld aan een partnerprofiel. Voeg een nieuw profiel toe of koppel met een bestaand profiel via een uitnodigingscode.".into(),
            Self::InvalidToken => "Deze link is ongeldig, al gebruikt of verlopen. Vraag een nieuwe aan via \u{201c}Wachtwoord vergeten?\u{201d}.".into(),
            Self::InvalidCredentials => "Het e-mailadres of wachtwoord is niet correct.".into(),
            Self::AccountNotActivated => "Je account is nog niet geactiveerd. Klik op de link in de activatiemail, of gebruik \u{201c}Wachtwoord vergeten?\u{201d} om een nieuwe link te ontvangen.".into(),
            Self::TooManyAttempts { retry_after_seconds } => format!(
                "Te veel mislukte pogingen. Probeer het over {} opnieuw.",
                minutes_text(*retry_after_seconds)
            ),
            Self::Limited { field, .. } => field.message.clone(),
            Self::Internal(_) => "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het probleem, contacteer dan de helpdesk.".into(),
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::Validation(_) => "Ongeldige gegevens",
            Self::InvalidRequest(_) => "Ongeldige aanvraag",
            Self::PayloadTooLarge => "Aanvraag te groot",
            Self::LogoTooLarge { .. } => "Logo te groot",
            Self::UnsupportedLogoType => "Ongeldig logo",
            Self::Unauthorized => "Niet aangemeld",
            Self::Forbidden => "Geen toegang",
            Self::NotFound => "Niet gevonden",
            Self::Conflict { .. } | Self::Stale(_) => "Conflict",
            Self::Refused { .. } => "Ongeldige aanvraag",
            Self::Denied { .. } => "Geen toegang",
            Self::Gone { .. } => "Verlopen",
            Self::ProfileNotLinked => "Geen partnerprofiel",
            Self::InvalidToken => "Ongeldige link",
            Self::InvalidCredentials => "Aanmelden mislukt",
            Self::AccountNotActivated => "Account niet geactiveerd",
            Self::TooManyAttempts { .. } => "Te veel pogingen",
            Self::Limited { .. } => "Limiet bereikt",
            Self::Internal(_) => "Interne fout",
        }
    }
}

/// A byte count as people read it: "1,2 MB" (decimal comma, 1 MB = 1,048,576 bytes as the limit).
fn size_text(bytes: usize) -> String {
    let tenths = (bytes as u64 * 10).div_ceil(1_048_576);
    format!("{},{} MB", tenths / 10, tenths % 10)
}

fn minutes_text(seconds: i64) -> String {
    let minutes = (seconds.max(1) + 59) / 60;
    if minutes == 1 { "1 minuut".into() } else { format!("{minutes} minuten") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_text_rounds_up_to_minutes() {
        assert_eq!(minutes_text(1), "1 minuut");
        assert_eq!(minutes_text(60), "1 minuut");
        assert_eq!(minutes_text(61), "2 minuten");
        assert_eq!(minutes_text(900), "15 minuten");
    }

    #[test]
    fn sizes_round_up_so_a_refused_logo_never_reads_as_allowed() {
        assert_eq!(size_text(1_048_577), "1,1 MB");
        assert_eq!(size_text(2 * 1_048_576), "2,0 MB");
    }

    #[test]
    fn every_error_has_its_contract_code_and_status() {
        let cases: Vec<(AppError, u16, &str)> = vec![
            (AppError::Validation(vec![]), 400, "validation_failed"),
            (AppError::InvalidRequest("x".into()), 400, "invalid_request"),
            (AppError::PayloadTooLarge, 413, "payload_too_large"),
            (AppError::LogoTooLarge { size: 2_000_000 }, 413, "logo_too_large"),
            (AppError::UnsupportedLogoType, 415, "unsupported_logo_type"),
            (AppError::Unauthorized, 401, "unauthorized"),
            (AppError::Forbidden, 403, "forbidden"),
            (AppError::InvalidToken, 400, "invalid_token"),
            (AppError::InvalidCredentials, 401, "invalid_credentials"),
            (AppError::AccountNotActivated, 403, "account_not_activated"),
            (AppError::TooManyAttempts { retry_after_seconds: 5 }, 429, "too_many_attempts"),
            (AppError::version_conflict(Stale::Profile), 409, "version_conflict"),
            (
                AppError::Limited {
                    code: "too_many_access_requests",
                    field: FieldError::new("emails", "daily_limit_application", "x"),
                    retry_after_seconds: 5,
                },
                429,
                "too_many_access_requests",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status, "{code}");
            assert_eq!(err.code(), code);
            assert!(!err.detail().is_empty());
        }
    }
}
