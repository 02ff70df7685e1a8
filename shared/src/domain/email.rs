use std::fmt;

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

use super::FieldError;

/// An email address a person can receive mail on: `local@domain.tld`, no display name, no
/// domain literal, at most 254 characters. Stored trimmed and in lower case, because accounts
/// are looked up by it and people do not expect `Jan@School.be` and `jan@school.be` to differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

const OPTIONS: Options = Options { minimum_sub_domains: 2, allow_domain_literal: false, allow_display_text: false };

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let candidate = raw.trim().to_lowercase();
        if candidate.is_empty() {
            return Err(FieldError::required(field));
        }
        super::text::visible_text(field, &candidate)?;
        if candidate.len() > 254 || EmailAddress::parse_with_options(&candidate, OPTIONS).is_err() {
            return Err(FieldError::new(
                field,
                "invalid_email",
                "Geef een geldig e-mailadres in, bijvoorbeeld naam@bedrijf.be. Een Informat gebruikersnaam is geen e-mailadres.",
            ));
        }
        Ok(Self(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("email", &value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        let email = Email::parse("email", "  Jan.Peeters@School.BE ").expect("valid");
        assert_eq!(email.as_str(), "jan.peeters@school.be");
    }

    #[test]
    fn refuses_what_is_not_a_mailbox() {
        for raw in [
            "informat_gebruiker",
            "jan@school",
            "Jan <jan@school.be>",
            "jan@[10.0.0.1]",
            "@school.be",
            "jan@@school.be",
        ] {
            let err = Email::parse("email", raw).expect_err(raw);
            assert_eq!(err.code, "invalid_email", "{raw}");
        }
        assert_eq!(Email::parse("email", "   ").expect_err("empty").code, "required");
        let long = format!("{}@school.be", "a".repeat(250));
        assert_eq!(Email::parse("email", &long).expect_err("long").code, "invalid_email");
    }
}
