//! CORS of the local HTTP API, as template.yaml's `CorsConfiguration` declares it.

use axum::http::HeaderValue;

/// The HTTP API's CORS configuration: the allowed and exposed headers, methods and max age of
/// template.yaml,
/// and as origins exactly the front end's, `PORTAL_URL` and `BACKOFFICE_URL` (api.md), compared
/// by origin (scheme://host:port), as the template does.
#[derive(Debug, Clone)]
pub struct Cors {
    pub(crate) origins: Vec<String>,
    pub(crate) allow_headers: HeaderValue,
    pub(crate) allow_methods: HeaderValue,
    /// `Access-Control-Expose-Headers` of every answer to an allowed origin (`Retry-After`).
    pub(crate) expose_headers: Option<HeaderValue>,
    pub(crate) max_age: HeaderValue,
}

/// The origin (scheme://host[:port], the port only when not the scheme's default) of a URL;
/// `None` for what has no such origin (`null`, `file:`, garbage).
pub fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

impl Cors {
    pub fn new(front_end: &[&str]) -> Result<Self, crate::StackError> {
        let declared = crate::template::cors()?;
        let value = |what: &str, text: String| {
            HeaderValue::from_str(&text)
                .map_err(|e| crate::StackError::Provision(format!("template.yaml CORS {what}: {e}")))
        };
        let mut origins = Vec::new();
        for url in front_end {
            let origin = origin_of(url)
                .ok_or_else(|| crate::StackError::Serve(format!("not an http(s) address of the front end: {url}")))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(Self {
            origins,
            allow_headers: value("AllowHeaders", declared.allow_headers.join(","))?,
            allow_methods: value("AllowMethods", declared.allow_methods.join(","))?,
            expose_headers: if declared.expose_headers.is_empty() {
                None
            } else {
                Some(value("ExposeHeaders", declared.expose_headers.join(","))?)
            },
            max_age: value("MaxAge", declared.max_age.to_string())?,
        })
    }

    /// The request's `Origin` when it is one of the front end's.
    pub(crate) fn allowed(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let origin = origin?;
        let parsed = origin_of(origin.to_str().ok()?)?;
        self.origins.contains(&parsed).then(|| origin.clone())
    }
}
