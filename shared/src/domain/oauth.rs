//! The token request of the OAuth2 client credentials grant (RFC 6749 §4.4), parsed at the edge:
//! exactly one way of client authentication (§2.3), no parameter twice (§3.2), and errors as
//! §5.2 names them.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{ClientId, Scope};

/// The assertion type of RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The largest token request body read: a form with an assertion signed by a big RSA key fits.
pub const MAX_TOKEN_REQUEST: usize = 16 * 1024;

/// The error codes of RFC 6749 §5.2 this server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
        }
    }
}

/// A refused token request. `error_description` is Dutch without accents: RFC 6749 allows only
/// printable ASCII there (no `"` or `\`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
    /// The client used HTTP Basic: `invalid_client` is then 401 with `WWW-Authenticate` (§5.2).
    pub basic: bool,
    /// Too many failed authentications for this client id: 429 with `Retry-After`.
    pub retry_after_seconds: Option<i64>,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into(), basic: false, retry_after_seconds: None }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }
}

/// How the client proves who it is.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`.
    Secret { client_id: ClientId, secret: String, basic: bool },
    /// `private_key_jwt`: the client id is the assertion's `sub` (and `client_id`, when sent).
    Assertion { client_id: ClientId, assertion: String },
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret { client_id, basic, .. } => write!(f, "Secret({client_id}, basic: {basic}, ***)"),
            Self::Assertion { client_id, .. } => write!(f, "Assertion({client_id}, ***)"),
        }
    }
}

impl ClientAuth {
    pub fn client_id(&self) -> &ClientId {
        match self {
            Self::Secret { client_id, .. } | Self::Assertion { client_id, .. } => client_id,
        }
    }

    pub fn is_basic(&self) -> bool {
        matches!(self, Self::Secret { basic: true, .. })
    }

    pub fn method(&self) -> &'static str {
        match self {
            Self::Secret { basic: true, .. } => "client_secret_basic",
            Self::Secret { basic: false, .. } => "client_secret_post",
            Self::Assertion { .. } => "private_key_jwt",
        }
    }
}

/// A well-formed client credentials token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub auth: ClientAuth,
    /// The scopes asked for; `None`: everything granted.
    pub scope: Option<BTreeSet<Scope>>,
}

fn invalid_client(description: &str, basic: bool) -> OAuthError {
    OAuthError { basic, ..OAuthError::new(OAuthErrorCode::InvalidClient, description) }
}

/// `Authorization: Basic` credentials: both parts are form-url-encoded first (RFC 6749 §2.3.1).
fn basic_credentials(header: &str) -> Result<(String, String), OAuthError> {
    let bad =
        || invalid_client("De Basic-authenticatie is onleesbaar: verwacht base64(client_id:client_secret).", true);
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid_client("Alleen Basic-authenticatie wordt hier aanvaard.", false));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let decode = |part: &str| -> String {
        form_urlencoded::parse(format!("v={part}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Ok((decode(id), decode(secret)))
}

impl TokenRequest {
    /// Parses the request from its `Authorization` header, content type and body.
    pub fn parse(authorization: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Result<Self, OAuthError> {
        let is_form = content_type
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(OAuthError::invalid_request(
                "Stuur de aanvraag als application/x-www-form-urlencoded (RFC 6749).",
            ));
        }
        if body.len() > MAX_TOKEN_REQUEST {
            return Err(OAuthError::invalid_request("De aanvraag is te groot."));
        }
        let mut params = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if params.insert(name.clone().into_owned(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("De parameter {name} komt meer dan eens voor.")));
            }
        }
        let param = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());

        let basic = authorization.map(basic_credentials).transpose()?;
        let post_secret = param("client_secret");
        let assertion = param("client_assertion");
        let methods =
            usize::from(basic.is_some()) + usize::from(post_secret.is_some()) + usize::from(assertion.is_some());
        if methods > 1 {
            return Err(OAuthError::invalid_request(
                "Gebruik precies een manier van client-authenticatie: Basic, client_secret of client_assertion.",
            ));
        }
        let unknown_client = |basic: bool| invalid_client("Onbekende client of ongeldig secret.", basic);
        let auth = if let Some((id, secret)) = basic {
            if param("client_id").is_some_and(|sent| sent != id) {
                return Err(OAuthError::invalid_request(
                    "client_id verschilt van de client in de Basic-authenticatie.",
                ));
            }
            ClientAuth::Secret {
                client_id: ClientId::parse(&id).ok_or_else(|| unknown_client(true))?,
                secret,
                basic: true,
            }
        } else if let Some(secret) = post_secret {
            let id = param("client_id").ok_or_else(|| OAuthError::invalid_request("client_id ontbreekt."))?;
            ClientAuth::Secret {
                client_id: ClientId::parse(id).ok_or_else(|| unknown_client(false))?,
                secret: secret.to_owned(),
                basic: false,
            }
        } else if let Some(assertion) = assertion {
            if param("client_assertion_type") != Some(JWT_BEARER) {
                return Err(OAuthError::invalid_request(format!("client_assertion_type moet {JWT_BEARER} zijn.")));
            }
            let claimed: Option<String> =
                jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(assertion)
                    .ok()
                    .and_then(|claims| claims.get("sub").and_then(|s| s.as_str()).map(str::to_owned));
            let claimed =
                claimed.ok_or_else(|| invalid_client("De client_assertion is geen leesbare JWT met 'sub'.", false))?;
            if param("client_id").is_some_and(|sent| sent != claimed) {
                return Err(invalid_client("client_id verschilt van 'sub' in de client_assertion.", false));
            }
            ClientAuth::Assertion {
                client_id: ClientId::parse(&claimed).ok_or_else(|| unknown_client(false))?,
                assertion: assertion.to_owned(),
            }
        } else {
            return Err(invalid_client(
                "Client-authenticatie ontbreekt: gebruik Basic, client_secret of client_assertion.",
                false,
            ));
        };

        match param("grant_type") {
            None => return Err(OAuthError::invalid_request("grant_type ontbreekt.")),
            Some("client_credentials") => {}
            Some(_) => {
                return Err(OAuthError::new(
                    OAuthErrorCode::UnsupportedGrantType,
                    "Alleen grant_type=client_credentials wordt ondersteund.",
                ));
            }
        }
        let scope = match params.get("scope") {
            None => None,
            Some(raw) => {
                let scopes = raw
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(|s| Scope::parse(s).ok_or(s))
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map_err(|bad| {
                        OAuthError::new(
                            OAuthErrorCode::InvalidScope,
                            format!("{} is geen scope van de vorm api:instellingsnummer.", ascii(bad)),
                        )
                    })?;
                (!scopes.is_empty()).then_some(scopes)
            }
        };
        Ok(Self { auth, scope })
    }
}

/// A value echoed into an `error_description`, reduced to the characters RFC 6749 allows there.
fn ascii(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').take(64).collect()
}

/// Whether a description may go in `error_description` (RFC 6749 §5.2).
pub fn is_error_description(value: &str) -> bool {
    value.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    fn basic(id: &str, secret: &str) -> String {
        let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
    }

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let req = TokenRequest::parse(Some(&basic("app-1", "a:b+c/=%")), FORM, b"grant_type=client_credentials")
            .expect("parsed");
        assert_eq!(
            req.auth,
            ClientAuth::Secret {
                client_id: ClientId::parse("app-1").expect("id"),
                secret: "a:b+c/=%".into(),
                basic: true
            }
        );
        assert_eq!(req.scope, None);
    }

    #[test]
    fn post_secret_and_scope() {
        let req = TokenRequest::parse(
            None,
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            b"grant_type=client_credentials&client_id=app-1&client_secret=s&scope=leerlingen%3A012345+personeel:12345",
        )
        .expect("parsed");
        assert_eq!(req.auth.method(), "client_secret_post");
        assert_eq!(req.scope.expect("scope").len(), 2);
    }

    #[test]
    fn refusals_name_the_rfc_error() {
        type Case<'a> = (Option<String>, Option<&'a str>, &'a str, OAuthErrorCode, bool);
        let cases: &[Case] = &[
            (None, Some("application/json"), "{}", OAuthErrorCode::InvalidRequest, false),
            (None, FORM, "grant_type=client_credentials", OAuthErrorCode::InvalidClient, false),
            (
                None,
                FORM,
                "grant_type=password&client_id=a&client_secret=s",
                OAuthErrorCode::UnsupportedGrantType,
                false,
            ),
            (None, FORM, "client_id=a&client_secret=s", OAuthErrorCode::InvalidRequest, false),
            (
                None,
                FORM,
                "grant_type=client_credentials&grant_type=client_credentials&client_id=a&client_secret=s",
                OAuthErrorCode::InvalidRequest,
                false,
            ),
            (
                Some(basic("a", "s")),
                FORM,
                "grant_type=client_credentials&client_secret=s",
                OAuthErrorCode::InvalidRequest,
                false,
            ),
            (Some("Basic !!!".into()), FORM, "grant_type=client_credentials", OAuthErrorCode::InvalidClient, true),
            (
                None,
                FORM,
                "grant_type=client_credentials&client_id=a&client_secret=s&scope=leerlingen:1",
                OAuthErrorCode::InvalidScope,
                false,
            ),
            (None, FORM, "grant_type=client_credentials&client_assertion=x.y.z", OAuthErrorCode::InvalidRequest, false),
            (
                None,
                FORM,
                "grant_type=client_credentials&client_id=a%20b&client_secret=s",
                OAuthErrorCode::InvalidClient,
                false,
            ),
        ];
        for (auth, content_type, body, code, basic) in cases {
            let err = TokenRequest::parse(auth.as_deref(), *content_type, body.as_bytes()).expect_err(body);
            assert_eq!((err.code, err.basic), (*code, *basic), "{body}: {err:?}");
            assert!(is_error_description(&err.description), "{}", err.description);
        }
    }

    #[test]
    fn an_assertion_names_its_client_in_sub() {
        let jwt = format!(
            "{}.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"app-9","iss":"app-9"}"#)
        );
        let body = format!("grant_type=client_credentials&client_assertion_type={JWT_BEARER}&client_assertion={jwt}");
        let req = TokenRequest::parse(None, FORM, body.as_bytes()).expect("parsed");
        assert_eq!(req.auth.client_id().as_str(), "app-9");
        assert_eq!(req.auth.method(), "private_key_jwt");
        let other = format!("{body}&client_id=app-8");
        assert_eq!(
            TokenRequest::parse(None, FORM, other.as_bytes()).expect_err("mismatch").code,
            OAuthErrorCode::InvalidClient
        );
    }
}
