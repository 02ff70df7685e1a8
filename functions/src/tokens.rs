//! The OAuth2 authorization server (api.md "OAuth2"): the token endpoint for approved
//! applications and the documents a resource server needs to verify its tokens offline.

use lambda_http::Request;
use lambda_http::http::{HeaderValue, StatusCode, header};
use portal::Deps;
use portal::domain::TokenRequest;
use portal::http::{HttpResult, json, oauth_error, public_cache};
use portal::operations::tokens::{self, TokenError};

/// The signing key and the metadata change rarely; a resource server that meets an unknown
/// `kid` fetches the key set again.
const WELL_KNOWN_MAX_AGE: u32 = 3600;

fn header_str(req: &Request, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// POST /oauth2/token: a refused request is answered in the form of RFC 6749 §5.2, not as a
/// problem; only our own failures are errors.
pub async fn create_token(deps: &Deps, req: Request) -> HttpResult {
    let parsed = TokenRequest::parse(
        header_str(&req, header::AUTHORIZATION),
        header_str(&req, header::CONTENT_TYPE),
        req.body().as_ref(),
    );
    let issued = match parsed {
        Ok(request) => tokens::create_token(deps, request).await,
        Err(refused) => Err(TokenError::Refused(refused)),
    };
    match issued {
        Ok(token) => {
            let mut response = json(StatusCode::OK, &token)?;
            response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            Ok(response)
        }
        Err(TokenError::Refused(refused)) => Ok(oauth_error(&refused)),
        Err(TokenError::Failed(failed)) => Err(failed),
    }
}

/// GET /.well-known/jwks.json
pub async fn get_jwks(deps: &Deps, _req: Request) -> HttpResult {
    Ok(public_cache(json(StatusCode::OK, &tokens::get_jwks(deps).await?)?, WELL_KNOWN_MAX_AGE))
}

/// GET /.well-known/oauth-authorization-server
pub async fn get_authorization_server_metadata(deps: &Deps, _req: Request) -> HttpResult {
    Ok(public_cache(
        json(StatusCode::OK, &tokens::get_authorization_server_metadata(&deps.config))?,
        WELL_KNOWN_MAX_AGE,
    ))
}
