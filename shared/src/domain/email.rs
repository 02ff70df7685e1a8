use email_address::{EmailAddress, Options};

use super::FieldError;

string_newtype! {
    /// An email address a person can receive mail on: `local@domain.tld`, no display name, no
    /// domain literal. Stored trimmed and in lower case, because accounts are looked up by it and
    /// people do not expect `Jan@School.be` and `jan@school.be` to differ.
    ///
    /// Only what the user pool accepts as an email username (it is one): at most 128 characters
    /// (Cognito's username limit), a local part of ASCII letters, digits and `. _ % + -` (no quoted
    /// local part, no `..`, no dot at either end), and an ASCII domain of letter, digit and hyphen
    /// labels ending in a top-level domain of letters; an internationalised domain is accepted only
    /// in its punycode form (`xn--bcher-kva.be`, not `bücher.be`).
    pub struct Email(String);
    try_from(raw) -> FieldError { Self::parse("email", raw) }
}

const OPTIONS: Options = Options { minimum_sub_domains: 2, allow_domain_literal: false, allow_display_text: false };

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let candidate = raw.trim().to_lowercase();
        if candidate.is_empty() {
            return Err(FieldError::required(field));
        }
        super::text::visible_text(field, &candidate)?;
        if !candidate.is_ascii() || candidate.contains('"') {
            return Err(FieldError::new(
                field,
                "invalid_email",
                "Dit e-mailadres kunnen we niet gebruiken: gebruik vóór de @ enkel letters zonder accenten, cijfers en . _ % + -, en geef een domeinnaam met accenten in zijn xn---vorm (bijvoorbeeld xn--bcher-kva.be voor bücher.be).",
            ));
        }
        if candidate.len() > MAX_LENGTH
            || EmailAddress::parse_with_options(&candidate, OPTIONS).is_err()
            || !accepted_by_the_pool(&candidate)
        {
            return Err(FieldError::new(
                field,
                "invalid_email",
                "Geef een geldig e-mailadres in, bijvoorbeeld naam@bedrijf.be. Een Informat gebruikersnaam is geen e-mailadres.",
            ));
        }
        Ok(Self(candidate))
    }
}

/// Cognito's longest username.
const MAX_LENGTH: usize = 128;

/// The shape the user pool accepts as an email username (checked on lower-case ASCII).
fn accepted_by_the_pool(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let local_ok = (1..=64).contains(&local.len())
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
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

    #[test]
    fn accepts_only_what_the_user_pool_accepts() {
        for raw in [
            "über@partner-x.be",
            "jan@bücher.be",
            "\"jan peeters\"@school.be",
            "\"jan\"@school.be",
            "jan..peeters@school.be",
            ".jan@school.be",
            "o'brien@school.be",
            "jan@-school.be",
            "jan@school.b3",
            "jan@school_x.be",
            "jan@xn--p1ai",
        ] {
            assert_eq!(Email::parse("email", raw).expect_err(raw).code, "invalid_email", "{raw}");
        }
        assert!(Email::parse("email", "über@partner-x.be").expect_err("ü").message.contains("zonder accenten"));
        let at_limit = format!("{}@{}.be", "a".repeat(64), "b".repeat(60));
        assert_eq!(at_limit.len(), 128);
        assert!(Email::parse("email", &at_limit).is_ok());
        let over = format!("{}@{}.be", "a".repeat(64), "b".repeat(61));
        assert!(Email::parse("email", &over).is_err());
        for raw in ["jan.peeters+portaal@school.be", "a_b%c-d@sub.xn--bcher-kva.be", "j@s.be"] {
            assert!(Email::parse("email", raw).is_ok(), "{raw}");
        }
    }
}
