//! Why a `decide` function of the domain refuses a change. The domain says what is wrong, in
//! the manual's Dutch; `crate::error` maps each reason once to its status and contract code.

use super::FieldError;

/// A change the rules do not allow. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Bad input for one field (400 `validation_failed`).
    Invalid(FieldError),
    /// Not there for this caller (404): also what another partner's things are.
    NotFound,
    /// The stored state does not allow it (409 with the contract's code).
    Conflict { code: &'static str, detail: String },
    /// Known, but the caller has no right to it (403 with the contract's code).
    Denied { code: &'static str, detail: String },
    /// The partner is deactivated by Informat (409 `partner_inactive`).
    PartnerInactive,
}

impl Refusal {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }
}

impl From<FieldError> for Refusal {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}
