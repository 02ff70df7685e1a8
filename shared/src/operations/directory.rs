//! The public partner directory (manual 3.2, api.md "Public directory"): who is listed, and the
//! logos. A partner is listed when its profile is active, public, has a logo and has at least
//! one approved application ([`Profile::is_listed`]); the store keeps exactly those in an index.

use crate::deps::Deps;
use crate::domain::{Category, FieldError, LogoFormat, Profile, search_text};
use crate::error::AppError;
use crate::ports::{DirectoryFilter, Page};

/// The longest search text the directory accepts, and the most words it looks for.
const MAX_QUERY_CHARS: usize = 200;
const MAX_QUERY_WORDS: usize = 10;

/// Reads `?category=` and `?q=` into a filter: an unknown category or an overlong query is
/// refused with the field it concerns.
pub fn filter(category: Option<&str>, q: Option<&str>) -> Result<DirectoryFilter, AppError> {
    let mut errors = Vec::new();
    let category = match category.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Category::parse(raw).map_err(|e| errors.push(FieldError::new("category", e.code, e.message))).ok(),
    };
    let q = q.unwrap_or_default();
    let words: Vec<String> = search_text(q).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if q.chars().count() > MAX_QUERY_CHARS || words.len() > MAX_QUERY_WORDS {
        errors.push(FieldError::new(
            "q",
            "too_long",
            format!("Zoek met maximaal {MAX_QUERY_WORDS} woorden en {MAX_QUERY_CHARS} karakters."),
        ));
    }
    if errors.is_empty() { Ok(DirectoryFilter { category, words }) } else { Err(AppError::Validation(errors)) }
}

/// GET /partners: listed partners that match, ordered by name.
pub async fn list_partners(
    deps: &Deps,
    filter: &DirectoryFilter,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<Profile>, AppError> {
    Ok(deps.profiles.directory(filter, limit, cursor).await?)
}

/// A slug as the profiles get them (see `ProfileName::slug`); anything else is not looked up.
fn plausible_slug(slug: &str) -> bool {
    (1..=100).contains(&slug.len()) && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// GET /partners/{slug}: only a listed partner; any other answers as if it did not exist.
pub async fn get_partner(deps: &Deps, slug: &str) -> Result<Profile, AppError> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    deps.profiles.profile_by_slug(slug).await?.filter(Profile::is_listed).ok_or(AppError::NotFound)
}

/// A logo as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoFile {
    pub bytes: Vec<u8>,
    pub format: LogoFormat,
    /// The id it was asked by: the response for that URL never changes.
    pub version: String,
    /// Asked by the URL of exactly this image (`?v=` the current id), so it may be cached for good.
    pub immutable: bool,
}

/// GET /partners/{slug}/logo: the logo of a listed partner; of any other partner only to who
/// presents the current logo's id (the `logo_url` its own members were given).
pub async fn get_partner_logo(deps: &Deps, slug: &str, version: Option<&str>) -> Result<LogoFile, AppError> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    let profile = deps.profiles.profile_by_slug(slug).await?.ok_or(AppError::NotFound)?;
    let logo = profile.logo.as_ref().ok_or(AppError::NotFound)?;
    let exact = version.is_some_and(|v| logo.is(v));
    if !(exact || profile.is_listed()) {
        return Err(AppError::NotFound);
    }
    let bytes =
        deps.logos.logo(&profile.id, logo).await?.ok_or_else(|| {
            AppError::invariant(format!("the logo of partner {} is missing from the bucket", profile.id))
        })?;
    Ok(LogoFile { bytes, format: logo.format, version: logo.id.clone(), immutable: exact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_the_query_into_words() {
        let f = filter(Some(" HRM "), Some("  École   Planning ")).expect("filter");
        assert_eq!(f.category.map(|c| c.as_str().to_owned()).as_deref(), Some("hrm"));
        assert_eq!(f.words, ["ecole", "planning"]);
        assert_eq!(filter(None, Some("   ")).expect("empty").words, Vec::<String>::new());
    }

    #[test]
    fn refuses_unknown_categories_and_long_queries() {
        let err = filter(Some("games"), Some(&"a ".repeat(11))).expect_err("refused");
        let AppError::Validation(errors) = err else { panic!("validation") };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["category", "q"]);
    }

    #[test]
    fn only_slugs_of_our_own_shape_are_looked_up() {
        assert!(plausible_slug("plantyn-nv"));
        assert!(!plausible_slug("Plantyn"));
        assert!(!plausible_slug("../x"));
        assert!(!plausible_slug(""));
    }
}
