//! What is configured, not hard-coded: read from the environment that template.yaml (or the
//! local stack) sets.

use crate::domain::Email;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The single DynamoDB table.
    pub table_name: String,
    pub partner_user_pool_id: String,
    pub partner_client_id: String,
    /// The back office's app client of the staff pool (POST /staff/sessions signs in with it).
    pub staff_client_id: String,
    /// The staff pool itself: "Wachtwoord vergeten?" of the back office sets passwords in it.
    pub staff_user_pool_id: String,
    /// The front end's public address, used in links in mails (no trailing slash).
    pub portal_url: String,
    /// Sender of account mails (activation, reset): the manual says info@informat.be.
    pub mail_from_accounts: Email,
    /// Sender of access-request mails: the manual says noreply@informatsoftware.be.
    pub mail_from_access: Email,
    /// The back office's address (no trailing slash): access-request links are
    /// `<BACKOFFICE_URL>/toegang/<token>`.
    pub backoffice_url: String,
    /// The S3 bucket that holds the partners' logos.
    pub logo_bucket: String,
    /// The API's public address (custom domain), without trailing slash: the URLs the API gives
    /// out (logos) start with it, and it is the OAuth2 issuer (`iss` of every access token).
    pub public_api_url: String,
    /// The KMS key that signs access tokens (id, ARN or alias).
    pub signing_key_id: String,
    /// The `aud` of access tokens: Informat's APIs, the resource servers that accept them.
    pub token_audience: String,
    /// How long an access token is valid.
    pub token_lifetime_seconds: i64,
    /// The value the CloudFront distribution sends in `X-Origin-Verify`: when it is set, a
    /// request without it did not come through the distribution (and its WAF and headers) and
    /// is refused (issue 21). `None`: no distribution in front (a bare local run).
    pub origin_verify_secret: Option<OriginSecret>,
    /// Informat's identity provider, where school administrators sign in (issue 22): the API's
    /// JWT authorizer trusts its ID tokens, and these say which claims carry what.
    pub informat_idp: InformatIdp,
}

/// How the ID tokens of Informat's identity provider are read. API Gateway's JWT authorizer
/// checks the signature, `iss` (this issuer), `aud` (the back office's client id) and `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformatIdp {
    /// The provider's issuer (`INFORMAT_ISSUER`, no trailing slash): a token of another issuer
    /// is never a school administrator's, whatever route it reaches.
    pub issuer: String,
    /// The claim with the administrator's institution rights, `<api>:<instellingsnummer>` each,
    /// as a space-separated string or a list (`INFORMAT_RIGHTS_CLAIM`).
    pub rights_claim: String,
    /// The claim with the administrator's e-mail address (`INFORMAT_EMAIL_CLAIM`).
    pub email_claim: String,
}

/// The claim names when the template does not say otherwise.
pub const DEFAULT_RIGHTS_CLAIM: &str = "informat_admin_scopes";
pub const DEFAULT_EMAIL_CLAIM: &str = "email";

/// The distribution's `X-Origin-Verify` value; never shown (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct OriginSecret(String);

impl OriginSecret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Whether `sent` is the secret, compared in constant time.
    pub fn matches(&self, sent: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.0.as_bytes().ct_eq(sent.as_bytes()))
    }

    /// The value itself, for the one that sends it (the local stack's gateway).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OriginSecret(..)")
    }
}

/// The default `aud` of access tokens.
pub const DEFAULT_TOKEN_AUDIENCE: &str = "https://api.informatsoftware.be";
const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 3600;

impl Config {
    /// The OAuth2 issuer (RFC 8414): the API's public address.
    pub fn issuer(&self) -> &str {
        &self.public_api_url
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/token", self.public_api_url)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is not valid: {1}")]
    Invalid(&'static str, String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required =
            |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name));
        let portal_url = required("PORTAL_URL")?;
        if !(portal_url.starts_with("https://") || portal_url.starts_with("http://")) {
            return Err(ConfigError::Invalid("PORTAL_URL", "must be an absolute http(s) URL".into()));
        }
        let mail_from_accounts = lookup("MAIL_FROM_ACCOUNTS").unwrap_or_else(|| "info@informat.be".into());
        let mail_from_access = lookup("MAIL_FROM_ACCESS").unwrap_or_else(|| "noreply@informatsoftware.be".into());
        let backoffice_url = required("BACKOFFICE_URL")?.trim().trim_end_matches('/').to_owned();
        if !(backoffice_url.starts_with("https://") || backoffice_url.starts_with("http://")) {
            return Err(ConfigError::Invalid("BACKOFFICE_URL", "must be an absolute http(s) URL".into()));
        }
        let public_api_url = required("PUBLIC_API_URL")?.trim().trim_end_matches('/').to_owned();
        if !(public_api_url.starts_with("https://") || public_api_url.starts_with("http://")) {
            return Err(ConfigError::Invalid("PUBLIC_API_URL", "must be an absolute http(s) URL".into()));
        }
        let token_lifetime_seconds = match lookup("TOKEN_LIFETIME_SECONDS").filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_TOKEN_LIFETIME_SECONDS,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (60..=86_400).contains(s))
                .ok_or(ConfigError::Invalid("TOKEN_LIFETIME_SECONDS", "must be 60 to 86400 seconds".into()))?,
        };
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            partner_user_pool_id: required("PARTNER_USER_POOL_ID")?,
            partner_client_id: required("PARTNER_USER_POOL_CLIENT_ID")?,
            staff_client_id: required("STAFF_USER_POOL_CLIENT_ID")?,
            staff_user_pool_id: required("STAFF_USER_POOL_ID")?,
            portal_url: portal_url.trim_end_matches('/').to_owned(),
            mail_from_accounts: Email::parse("MAIL_FROM_ACCOUNTS", &mail_from_accounts)
                .map_err(|e| ConfigError::Invalid("MAIL_FROM_ACCOUNTS", e.message))?,
            mail_from_access: Email::parse("MAIL_FROM_ACCESS", &mail_from_access)
                .map_err(|e| ConfigError::Invalid("MAIL_FROM_ACCESS", e.message))?,
            backoffice_url,
            logo_bucket: required("LOGO_BUCKET")?,
            public_api_url,
            signing_key_id: required("TOKEN_SIGNING_KEY_ID")?,
            token_audience: lookup("TOKEN_AUDIENCE")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TOKEN_AUDIENCE.into()),
            token_lifetime_seconds,
            origin_verify_secret: lookup("ORIGIN_VERIFY_SECRET")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(OriginSecret::new),
            informat_idp: InformatIdp {
                issuer: {
                    let issuer = required("INFORMAT_ISSUER")?.trim().trim_end_matches('/').to_owned();
                    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                        return Err(ConfigError::Invalid("INFORMAT_ISSUER", "must be an absolute http(s) URL".into()));
                    }
                    issuer
                },
                rights_claim: lookup("INFORMAT_RIGHTS_CLAIM")
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| DEFAULT_RIGHTS_CLAIM.into()),
                email_claim: lookup("INFORMAT_EMAIL_CLAIM")
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| DEFAULT_EMAIL_CLAIM.into()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |k| map.get(k).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("TABLE_NAME", "portal"),
        ("PARTNER_USER_POOL_ID", "eu-west-1_abc"),
        ("PARTNER_USER_POOL_CLIENT_ID", "client"),
        ("PORTAL_URL", "https://partners.informatsoftware.be/"),
        ("LOGO_BUCKET", "logos"),
        ("PUBLIC_API_URL", "https://api.partners.informatsoftware.be/"),
        ("TOKEN_SIGNING_KEY_ID", "alias/portal-tokens"),
        ("BACKOFFICE_URL", "https://app.informatsoftware.be/partnerportaal"),
        ("STAFF_USER_POOL_CLIENT_ID", "backoffice"),
        ("INFORMAT_ISSUER", "https://login.informat.test/"),
        ("STAFF_USER_POOL_ID", "eu-west-1_staff"),
    ];

    #[test]
    fn reads_and_defaults() {
        let config = Config::from_lookup(env(FULL)).expect("config");
        assert_eq!(config.portal_url, "https://partners.informatsoftware.be");
        assert_eq!(config.mail_from_accounts.as_str(), "info@informat.be");
        assert_eq!(config.mail_from_access.as_str(), "noreply@informatsoftware.be");
        assert_eq!(config.issuer(), "https://api.partners.informatsoftware.be");
        assert_eq!(config.token_endpoint(), "https://api.partners.informatsoftware.be/oauth2/token");
        assert_eq!((config.token_audience.as_str(), config.token_lifetime_seconds), (DEFAULT_TOKEN_AUDIENCE, 3600));
        let idp = &config.informat_idp;
        assert_eq!(
            (idp.issuer.as_str(), idp.rights_claim.as_str(), idp.email_claim.as_str()),
            ("https://login.informat.test", DEFAULT_RIGHTS_CLAIM, DEFAULT_EMAIL_CLAIM)
        );
    }

    #[test]
    fn says_what_is_missing_or_wrong() {
        let err = Config::from_lookup(env(&FULL[1..])).expect_err("missing");
        assert!(err.to_string().contains("TABLE_NAME"));
        let mut bad = FULL.to_vec();
        bad[3] = ("PORTAL_URL", "partners.informatsoftware.be");
        assert!(Config::from_lookup(env(&bad)).expect_err("invalid").to_string().contains("PORTAL_URL"));
        let mut long = FULL.to_vec();
        long.push(("TOKEN_LIFETIME_SECONDS", "604800"));
        assert!(Config::from_lookup(env(&long)).expect_err("too long").to_string().contains("TOKEN_LIFETIME_SECONDS"));
    }
}
