use std::fmt;

use super::FieldError;

/// A password that meets the manual's policy (and the partner pool's, which enforces the same):
/// at least 8 characters with an upper-case letter, a lower-case letter, a digit and a special
/// character. The characters that count as upper, lower, digit and special are Cognito's, so a
/// password accepted here is never refused by the pool. Never printed, not even in debug output.
#[derive(Clone)]
pub struct Password(String);

/// Cognito's list of special characters (plus the space, allowed inside a password).
const SPECIALS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 256;

impl Password {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::required(field));
        }
        let chars = raw.chars().count();
        let ok = (MIN_LENGTH..=MAX_LENGTH).contains(&chars)
            && raw.chars().any(|c| c.is_ascii_uppercase())
            && raw.chars().any(|c| c.is_ascii_lowercase())
            && raw.chars().any(|c| c.is_ascii_digit())
            && raw.chars().any(|c| SPECIALS.contains(c) && c != ' ')
            && !raw.starts_with(' ')
            && !raw.ends_with(' ');
        if ok { Ok(Self(raw.to_owned())) } else { Err(Self::weak(field)) }
    }

    /// The error for a password that does not meet the policy.
    pub fn weak(field: &'static str) -> FieldError {
        FieldError::new(
            field,
            "weak_password",
            "Kies een wachtwoord van minstens 8 karakters met minimaal één hoofdletter, één kleine letter, één cijfer en één speciaal teken (zoals ! ? @ # $ % & *). Het mag niet met een spatie beginnen of eindigen.",
        )
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_policy() {
        assert!(Password::parse("password", "Sterk!Wachtw00rd").is_ok());
        assert!(Password::parse("password", "Aa1-aaaa").is_ok());
    }

    #[test]
    fn refuses_each_missing_class() {
        for raw in [
            "Aa1!aaa",   // 7 characters
            "aa1!aaaa",  // no upper case
            "AA1!AAAA",  // no lower case
            "Aa!!aaaa",  // no digit
            "Aa11aaaa",  // no special character
            "Aa1é aaaa", // only a space as special character
            " Aa1!aaaa", // leading space
            "ÀÉ1!àéàé",  // accented letters are not what Cognito counts
        ] {
            let err = Password::parse("password", raw).expect_err(raw);
            assert_eq!(err.code, "weak_password", "{raw}");
        }
        assert_eq!(Password::parse("password", "").expect_err("empty").code, "required");
    }

    #[test]
    fn never_shows_itself() {
        let p = Password::parse("password", "Sterk!Wachtw00rd").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
