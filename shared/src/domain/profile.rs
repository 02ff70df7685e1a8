//! The fields of a partner profile (manual 3.2.3), each a type that only holds a valid value.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;

/// Text of at most `max` characters after trimming; `min` of 1 makes it required.
fn bounded(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars < min {
        return Err(FieldError::required(field));
    }
    if chars > max {
        return Err(FieldError::new(field, "too_long", format!("Gebruik maximaal {max} karakters (nu {chars}).")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "invalid_characters", "Dit veld bevat ongeldige (controle)tekens."));
    }
    Ok(value.to_owned())
}

/// The name of a partner: 1 to 200 characters, unique after trimming, case folding and
/// collapsing inner spaces (see [`ProfileName::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfileName(String);

impl ProfileName {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = bounded("name", raw, 1, Self::MAX)?;
        if value.contains(['\n', '\r', '\t']) {
            return Err(FieldError::new("name", "invalid_characters", "Een naam staat op één regel."));
        }
        Ok(Self(value.split_whitespace().collect::<Vec<_>>().join(" ")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What makes two names the same: case folded, inner white space collapsed.
    pub fn key(&self) -> String {
        self.0.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
    }

    /// A URL path segment for the public page: ASCII letters and digits joined by dashes.
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in self.0.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        if slug.is_empty() { "partner".to_owned() } else { slug.chars().take(80).collect::<String>().trim_end_matches('-').to_owned() }
    }
}

/// The ASCII letter under a Latin accented letter, so "Één École" slugs as "een-ecole".
fn fold_accent(c: char) -> Vec<char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'ø' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'æ' | 'Æ' => return vec!['a', 'e'],
        'œ' | 'Œ' => return vec!['o', 'e'],
        'ß' => return vec!['s', 's'],
        other => other,
    };
    vec![base]
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProfileName {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProfileName> for String {
    fn from(value: ProfileName) -> Self {
        value.0
    }
}

/// A Belgian enterprise number (KBO/BCE): 10 digits, the first 0 or 1, the last two equal to
/// 97 − (the first eight mod 97). Accepted as `0123456749`, `0123.456.749`, `BE0123456749`,
/// `BE 0123.456.749`; stored as the 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnterpriseNumber(String);

impl EnterpriseNumber {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "enterprise_number",
                "invalid_enterprise_number",
                "Geef een geldig Belgisch ondernemingsnummer in: 10 cijfers, bijvoorbeeld 0123.456.749 of BE0123456749.",
            )
        };
        let trimmed = raw.trim();
        let without_country = trimmed
            .strip_prefix("BE")
            .or_else(|| trimmed.strip_prefix("be"))
            .or_else(|| trimmed.strip_prefix("Be"))
            .unwrap_or(trimmed);
        let digits: String = without_country.chars().filter(|c| !matches!(c, '.' | ' ' | '-')).collect();
        if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) || !digits.starts_with(['0', '1']) {
            return Err(invalid());
        }
        let (body, check) = digits.split_at(8);
        let body: u64 = body.parse().map_err(|_| invalid())?;
        let check: u64 = check.parse().map_err(|_| invalid())?;
        if 97 - body % 97 != check {
            return Err(invalid());
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnterpriseNumber {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EnterpriseNumber> for String {
    fn from(value: EnterpriseNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_and_spacing() {
        let a = ProfileName::parse("  Plantyn   Software ").expect("valid");
        let b = ProfileName::parse("plantyn software").expect("valid");
        assert_eq!(a.as_str(), "Plantyn Software");
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), ProfileName::parse("Plantyn-Software").expect("valid").key());
    }

    #[test]
    fn names_have_limits() {
        assert_eq!(ProfileName::parse("   ").expect_err("empty").code, "required");
        assert!(ProfileName::parse(&"é".repeat(200)).is_ok());
        assert_eq!(ProfileName::parse(&"é".repeat(201)).expect_err("long").code, "too_long");
        assert_eq!(ProfileName::parse("a\nb").expect_err("two lines").code, "invalid_characters");
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(ProfileName::parse("Één École & Co.").expect("valid").slug(), "een-ecole-co");
        assert_eq!(ProfileName::parse("!!!").expect("valid").slug(), "partner");
    }

    #[test]
    fn enterprise_numbers_check_mod_97() {
        for ok in ["0123456749", "0123.456.749", "BE0123456749", "BE 0123.456.749", "be0123 456 749"] {
            assert_eq!(EnterpriseNumber::parse(ok).expect(ok).as_str(), "0123456749");
        }
        for bad in ["0123456748", "2123456749", "123456749", "01234567490", "BE01234567AB", "", "NL0123456749"] {
            assert_eq!(EnterpriseNumber::parse(bad).expect_err(bad).code, "invalid_enterprise_number", "{bad}");
        }
    }
}
