//! CORS of the local HTTP API as API Gateway applies template.yaml's `CorsConfiguration`:
//! tower-http's [`CorsLayer`] with the template's allowed headers, methods, max age and exposed
//! headers, and as origins exactly the front end's, `PORTAL_URL` and `BACKOFFICE_URL` (api.md),
//! compared by origin (scheme://host:port), as the template does.
//!
//! The layer is applied only to requests from those origins ([`Cors::serve`]): API Gateway says
//! nothing of CORS to another origin, where the layer would still name the methods, headers and
//! exposed headers.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer as _, ServiceExt as _};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::StackError;

#[derive(Debug, Clone)]
pub struct Cors {
    origins: Vec<String>,
    layer: CorsLayer,
}

/// The origin (scheme://host[:port], the port only when not the scheme's default) of a URL;
/// `None` for what has no such origin (`null`, `file:`, garbage).
pub fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether an `Origin` header names one of `origins`.
fn allowed(origins: &[String], origin: &HeaderValue) -> bool {
    origin.to_str().ok().and_then(origin_of).is_some_and(|o| origins.contains(&o))
}

fn names(declared: &[String], what: &str) -> Result<Vec<HeaderName>, StackError> {
    declared
        .iter()
        .map(|h| {
            HeaderName::from_bytes(h.as_bytes())
                .map_err(|e| StackError::Provision(format!("template.yaml CORS {what} {h:?}: {e}")))
        })
        .collect()
}

impl Cors {
    pub fn new(front_end: &[&str]) -> Result<Self, StackError> {
        let declared = crate::template::cors()?;
        let mut origins = Vec::new();
        for url in front_end {
            let origin = origin_of(url)
                .ok_or_else(|| StackError::Serve(format!("not an http(s) address of the front end: {url}")))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        let methods = declared
            .allow_methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.as_bytes())
                    .map_err(|e| StackError::Provision(format!("template.yaml CORS AllowMethods {m:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_age = u64::try_from(declared.max_age)
            .map_err(|e| StackError::Provision(format!("template.yaml CORS MaxAge {}: {e}", declared.max_age)))?;
        let front_end = origins.clone();
        let layer = CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin, _| allowed(&front_end, origin)))
            .allow_methods(methods)
            .allow_headers(names(&declared.allow_headers, "AllowHeaders")?)
            .expose_headers(names(&declared.expose_headers, "ExposeHeaders")?)
            .max_age(Duration::from_secs(max_age))
            .vary([header::ORIGIN]);
        Ok(Self { origins, layer })
    }

    /// Whether the request's `Origin` is one of the front end's.
    pub fn allows(&self, origin: Option<&HeaderValue>) -> bool {
        origin.is_some_and(|o| allowed(&self.origins, o))
    }

    /// `next`'s answer to `request`, through the CORS layer when the request comes from one of
    /// the front end's origins. The layer answers a preflight (`OPTIONS`) itself, before the
    /// authorizer and the function, with 204 No Content as API Gateway does.
    pub async fn serve(&self, request: Request, next: Next) -> Response {
        if !self.allows(request.headers().get(header::ORIGIN)) {
            return next.run(request).await;
        }
        let preflight = request.method() == Method::OPTIONS;
        let mut response = match self.layer.layer(next).oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if preflight {
            *response.status_mut() = StatusCode::NO_CONTENT;
        }
        response
    }
}
