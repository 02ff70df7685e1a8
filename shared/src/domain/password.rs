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

/// A password someone chooses now (registration, reset): the policy of [`Password`], and not easy
/// to guess: zxcvbn's estimate must reach score 3 (about 10^10 guesses; 0..2 are guessed online
/// or offline in hours). Passwords people already have are not held to this: sign-in takes any
/// [`Password`].
#[derive(Clone)]
pub struct NewPassword(Password);

/// Score 3 of zxcvbn: "safely unguessable: moderate protection from offline slow-hash scenario".
pub const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

/// Words a guesser tries first against this portal, beside zxcvbn's own (English) dictionaries.
const PORTAL_WORDS: [&str; 6] = ["informat", "partner", "portaal", "partnerportaal", "welkom", "wachtwoord"];

impl NewPassword {
    /// `email` is the account's address: a password built from it is easy to guess.
    pub fn parse(field: &'static str, raw: &str, email: Option<&super::Email>) -> Result<Self, FieldError> {
        let password = Password::parse(field, raw)?;
        let mut inputs: Vec<&str> = PORTAL_WORDS.to_vec();
        if let Some(email) = email {
            let address = email.as_str();
            inputs.push(address);
            let (local, domain) = address.split_once('@').unwrap_or((address, ""));
            inputs.push(local);
            inputs.extend(local.split(['.', '_', '-', '+']).filter(|w| w.len() > 2));
            inputs.extend(domain.split('.').filter(|w| w.len() > 2));
        }
        if zxcvbn::zxcvbn(raw, &inputs).score() < MIN_STRENGTH {
            return Err(Self::guessable(field));
        }
        Ok(Self(password))
    }

    /// The error for a password that meets the policy but is easy to guess.
    pub fn guessable(field: &'static str) -> FieldError {
        FieldError::new(
            field,
            "weak_password",
            "Dit wachtwoord is te makkelijk te raden. Kies een langere wachtzin van drie of vier woorden die niets met elkaar of met jou te maken hebben, met een hoofdletter, een cijfer en een leesteken ertussen (bijvoorbeeld Fiets!Wolk7Paprika). Vermijd je naam, je e-mailadres, datums, bekende woorden als Welkom of Wachtwoord en voorspelbare vervangingen zoals 0 voor o.",
        )
    }

    pub fn password(&self) -> &Password {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
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
    fn new_passwords_must_be_hard_to_guess() {
        for raw in ["Password1!", "Welkom01!", "Informat1!", "Aa1-aaaa", "Wachtwoord1!"] {
            let err = NewPassword::parse("password", raw, None).expect_err(raw);
            assert_eq!(err.code, "weak_password", "{raw}");
            assert!(err.message.contains("wachtzin"), "{raw}");
        }
        let email = super::super::Email::parse("email", "jan.peeters@school.be").expect("email");
        assert!(NewPassword::parse("password", "Jan.Peeters1!", None).is_ok());
        assert!(NewPassword::parse("password", "Jan.Peeters1!", Some(&email)).is_err(), "built from the address");
        for raw in ["Sterk!Wachtw00rd", "Fiets!Wolk7Paprika"] {
            assert!(NewPassword::parse("password", raw, Some(&email)).is_ok(), "{raw}");
        }
        // The policy still comes first.
        assert!(NewPassword::parse("password", "fiets wolk paprika trommel", None).is_err());
    }

    #[test]
    fn never_shows_itself() {
        let p = Password::parse("password", "Sterk!Wachtw00rd").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
