//! The fields of a partner profile (manual 3.2.3), each a type that only holds a valid value.

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
    super::text::visible_text(field, value)?;
    Ok(super::text::nfc(value))
}

string_newtype! {
    /// The name of a partner: 1 to 200 characters, unique after trimming, NFKC, case folding,
    /// collapsing inner spaces and mapping look-alikes to one skeleton (see [`ProfileName::key`]).
    pub struct ProfileName(String);
    try_from(raw) -> FieldError { Self::parse(raw) }
}

impl ProfileName {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = bounded("name", raw, 1, Self::MAX)?;
        if value.contains(['\n', '\r', '\t']) {
            return Err(FieldError::new("name", "invalid_characters", "Een naam staat op één regel."));
        }
        if super::text::claims_informat(&value) {
            return Err(FieldError::new(
                "name",
                "reserved_name",
                "Deze naam geeft de indruk dat het profiel van Informat zelf is. Kies de naam van je eigen organisatie.",
            ));
        }
        Ok(Self(value.split_whitespace().collect::<Vec<_>>().join(" ")))
    }

    /// What makes two names the same (api.md): see [`super::text::name_key`].
    pub fn key(&self) -> String {
        super::text::name_key(&self.0)
    }

    /// A URL path segment for the public page: ASCII letters and digits joined by dashes.
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in super::text::ascii_fold(&self.0).flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        if slug.is_empty() {
            "partner".to_owned()
        } else {
            slug.chars().take(80).collect::<String>().trim_end_matches('-').to_owned()
        }
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

string_newtype! {
    /// A Belgian enterprise number (KBO/BCE): 10 digits, the first 0 or 1, the last two equal to
    /// 97 − (the first eight mod 97). Accepted as `0123456749`, `0123.456.749`, `BE0123456749`,
    /// `BE 0123.456.749`; stored as the 10 digits.
    pub struct EnterpriseNumber(String);
    try_from(raw) -> FieldError { Self::parse(raw) }
}

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
}

string_newtype! {
    /// The partner's website: an absolute http(s) URL with a host that has a dot, at most 2000 characters.
    pub struct Website(String);
    try_from(raw) -> FieldError { Self::parse(raw) }
}

impl Website {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::required("website"));
        }
        super::text::visible_text("website", value)?;
        let invalid = || {
            FieldError::new(
                "website",
                "invalid_url",
                "Geef het webadres van de website in, bijvoorbeeld www.bedrijf.be of https://www.bedrijf.be.",
            )
        };
        if value.len() > 2000 {
            return Err(invalid());
        }
        // People type "www.planner.be": an address without a scheme is read as https (issue 22).
        let with_scheme = if value.contains("://") { value.to_owned() } else { format!("https://{value}") };
        let url = url::Url::parse(&with_scheme).map_err(|_| invalid())?;
        let host_ok = url.host_str().is_some_and(|h| h.contains('.') && !h.starts_with('.') && !h.ends_with('.'));
        if !matches!(url.scheme(), "http" | "https")
            || !host_ok
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid());
        }
        Ok(Self(url.to_string()))
    }
}

/// The kinds of school software a partner can say it makes (GET /categories).
pub const CATEGORIES: &[(&str, &str)] = &[
    ("administratie", "Administratie"),
    ("communiceren", "Communiceren"),
    ("evalueren", "Evalueren en rapporteren"),
    ("financieel", "Financieel en boekhouding"),
    ("hrm", "HRM"),
    ("inschrijvingen", "Inschrijvingen"),
    ("leerplatform", "Leerplatform en lesmateriaal"),
    ("leerlingvolgsysteem", "Leerlingvolgsysteem en zorg"),
    ("planning", "Planning en uurroosters"),
    ("aanwezigheden", "Aanwezigheden"),
    ("ict", "ICT-beheer en identiteit"),
    ("maaltijden", "Maaltijden en betalingen"),
    ("andere", "Andere"),
];

string_newtype! {
    /// One code of [`CATEGORIES`].
    pub struct Category(String): PartialOrd, Ord;
    try_from(raw) -> FieldError { Self::parse(raw) }
}

impl Category {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_lowercase();
        if CATEGORIES.iter().any(|(c, _)| *c == code) {
            Ok(Self(code))
        } else {
            Err(FieldError::new(
                "categories",
                "unknown_category",
                format!("Onbekende categorie \u{201c}{}\u{201d}: kies uit GET /categories.", raw.trim()),
            ))
        }
    }
}

/// At least one category, each once, in a stable order.
pub fn categories(raw: &[String]) -> Result<Vec<Category>, FieldError> {
    let mut parsed = raw.iter().map(|c| Category::parse(c)).collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    if parsed.is_empty() {
        return Err(FieldError::new("categories", "required", "Kies minstens één categorie."));
    }
    Ok(parsed)
}

/// The organisation's address; `country` is an ISO 3166-1 alpha-2 code (BE, NL, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

impl Address {
    /// Checks each part; errors name the part (`address.street`, ...).
    pub fn parse(street: &str, postal_code: &str, city: &str, country: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut part =
            |field: &'static str, raw: &str, max: usize| bounded(field, raw, 1, max).map_err(|e| errors.push(e)).ok();
        let street = part("address.street", street, 200);
        let postal_code = part("address.postal_code", postal_code, 20);
        let city = part("address.city", city, 100);
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new(
                "address.country",
                "invalid_country",
                "Geef het land als tweeletterige ISO-code, bijvoorbeeld BE.",
            ));
        }
        match (street, postal_code, city, errors.is_empty()) {
            (Some(street), Some(postal_code), Some(city), true) => Ok(Self { street, postal_code, city, country }),
            _ => Err(errors),
        }
    }
}

/// Free text of at most `max` characters; `required` says whether it may be empty.
pub fn text(field: &'static str, raw: &str, required: bool, max: usize) -> Result<String, FieldError> {
    bounded(field, raw, usize::from(required), max)
}

string_newtype! {
    /// The identifier of a partner (its profile).
    pub struct PartnerId(String): PartialOrd, Ord;
    try_from(raw) -> String { Self::parse(raw).ok_or_else(|| format!("not a partner id: {raw:?}")) }
}

impl PartnerId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw).ok().map(|u| Self(u.to_string()))
    }
}

impl Default for PartnerId {
    fn default() -> Self {
        Self::new()
    }
}

/// What a partner fills in (ProfileInput of api.md), validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFields {
    pub name: ProfileName,
    pub enterprise_number: Option<EnterpriseNumber>,
    pub description: String,
    pub contact_name: String,
    pub address: Address,
    pub public: bool,
    pub categories: Vec<Category>,
    pub website: Website,
    pub extra_info: Option<String>,
}

/// A partner profile as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: PartnerId,
    pub slug: String,
    /// The creator's address: read-only, receives notifications.
    pub email: super::Email,
    /// Informat can deactivate a partner (back office); an inactive partner is never listed.
    pub active: bool,
    pub logo: Option<super::Logo>,
    /// How many of the partner's applications are approved: the directory lists a partner only
    /// when there is at least one. Kept on the profile so that listing is decided by the profile
    /// alone, in the same write that changes it.
    #[serde(default)]
    pub approved_applications: u32,
    pub fields: ProfileFields,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub version: u64,
}

impl Profile {
    /// Where its logo is served under the public API at `api`:
    /// `<api>/partners/<slug>/logo?v=<logo id>`. The id changes with every upload, so the URL
    /// can be cached for good, and it is what lets the partner itself see a logo that the
    /// directory does not show yet.
    pub fn logo_url(&self, api: &str) -> Option<String> {
        self.logo.as_ref().map(|logo| format!("{api}/partners/{}/logo?v={}", self.slug, logo.id))
    }

    /// The directory's rule (manual 3.2, api.md): active, public, with a logo and at least one
    /// approved application.
    pub fn is_listed(&self) -> bool {
        self.active && self.fields.public && self.logo.is_some() && self.approved_applications > 0
    }
}

/// Text folded for search: lower case, accents removed, white space collapsed. The directory
/// stores its name and description folded this way and folds the query alike.
pub fn search_text(raw: &str) -> String {
    raw.split_whitespace()
        .map(|word| word.chars().flat_map(fold_accent).flat_map(char::to_lowercase).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

impl ProfileFields {
    /// What changed from `self` to `after`: (property as shown, from, to), in the form's order.
    pub fn changes(&self, after: &ProfileFields) -> Vec<(&'static str, Option<String>, Option<String>)> {
        let address = |a: &Address| Some(format!("{}, {} {}, {}", a.street, a.postal_code, a.city, a.country));
        let public = |p: bool| Some(if p { "Publiek" } else { "Privé" }.to_owned());
        let cats = |c: &[Category]| {
            Some(
                c.iter()
                    .map(|c| {
                        CATEGORIES.iter().find(|(code, _)| *code == c.as_str()).map_or(c.as_str(), |(_, label)| label)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        let rows = [
            ("Naam", Some(self.name.to_string()), Some(after.name.to_string())),
            (
                "Ondernemingsnr.",
                self.enterprise_number.as_ref().map(|e| e.as_str().to_owned()),
                after.enterprise_number.as_ref().map(|e| e.as_str().to_owned()),
            ),
            ("Omschrijving", Some(self.description.clone()), Some(after.description.clone())),
            ("Contactpersoon", Some(self.contact_name.clone()), Some(after.contact_name.clone())),
            ("Adres", address(&self.address), address(&after.address)),
            ("Publiek / Privé", public(self.public), public(after.public)),
            ("Categorie", cats(&self.categories), cats(&after.categories)),
            ("Website", Some(self.website.as_str().to_owned()), Some(after.website.as_str().to_owned())),
            ("Extra info", self.extra_info.clone(), after.extra_info.clone()),
        ];
        rows.into_iter().filter(|(_, from, to)| from != to).collect()
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
        assert_eq!(ProfileName::parse("Ｐartner Cafe\u{301}").expect("valid").slug(), "partner-cafe");
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

    #[test]
    fn websites_are_absolute_http_urls() {
        assert_eq!(Website::parse(" https://www.plantyn.com ").expect("valid").as_str(), "https://www.plantyn.com/");
        // Without a scheme it is https.
        assert_eq!(Website::parse("www.plantyn.com").expect("valid").as_str(), "https://www.plantyn.com/");
        assert_eq!(Website::parse("plantyn.com/scholen").expect("valid").as_str(), "https://plantyn.com/scholen");
        assert_eq!(Website::parse("http://plantyn.com").expect("valid").as_str(), "http://plantyn.com/");
        for bad in [
            "plantyn",
            "ftp://plantyn.com",
            "javascript://plantyn.com",
            "mailto:info@plantyn.com",
            "https://localhost",
            "javascript:alert(1)",
            "https://user:pw@x.be",
            "",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn categories_are_known_and_deduplicated() {
        let picked = categories(&["HRM".into(), "communiceren".into(), "hrm".into()]).expect("valid");
        assert_eq!(picked.iter().map(Category::as_str).collect::<Vec<_>>(), ["communiceren", "hrm"]);
        assert_eq!(categories(&[]).expect_err("empty").code, "required");
        assert_eq!(categories(&["games".into()]).expect_err("unknown").code, "unknown_category");
    }

    #[test]
    fn addresses_name_the_wrong_part() {
        assert!(Address::parse("Kerkstraat 1", "2000", "Antwerpen", "be").is_ok_and(|a| a.country == "BE"));
        let errors = Address::parse("", "2000", "Antwerpen", "Belgium").expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["address.street", "address.country"]);
    }

    #[test]
    fn text_limits() {
        assert_eq!(text("description", "", true, 2000).expect_err("required").code, "required");
        assert_eq!(text("extra_info", "", false, 2000).expect("optional"), "");
        assert_eq!(text("description", &"x".repeat(2001), true, 2000).expect_err("long").code, "too_long");
    }

    fn fields() -> ProfileFields {
        ProfileFields {
            name: ProfileName::parse("Voorbeeld").expect("name"),
            enterprise_number: None,
            description: "Beschrijving".into(),
            contact_name: "An".into(),
            address: Address::parse("Kerkstraat 1", "2000", "Antwerpen", "BE").expect("address"),
            public: true,
            categories: categories(&["hrm".into()]).expect("categories"),
            website: Website::parse("https://voorbeeld.be").expect("website"),
            extra_info: None,
        }
    }

    #[test]
    fn lists_only_what_changed() {
        let before = fields();
        assert!(before.changes(&before).is_empty());
        let mut after = fields();
        after.public = false;
        after.categories = categories(&["hrm".into(), "communiceren".into()]).expect("categories");
        after.extra_info = Some("Nieuw".into());
        assert_eq!(
            before.changes(&after),
            vec![
                ("Publiek / Privé", Some("Publiek".into()), Some("Privé".into())),
                ("Categorie", Some("HRM".into()), Some("Communiceren, HRM".into())),
                ("Extra info", None, Some("Nieuw".into())),
            ]
        );
    }
}
