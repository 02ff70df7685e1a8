//! What API Gateway's JWT authorizer does, for the local stack: the token from the
//! `Authorization` header, its signature against the pool's JWKS, the issuer, the audience (or,
//! for access tokens, `client_id`) and the expiry. The verified claims go into the request
//! context as API Gateway puts them there: every value a string.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

use crate::StackError;
use crate::provision::Resources;
use portal_functions::Auth;

pub type Claims = HashMap<String, String>;

struct Pool {
    issuer: String,
    audience: String,
    keys: HashMap<String, DecodingKey>,
}

pub struct Authorizer {
    partner: Pool,
    staff: Pool,
    /// Informat's identity provider (its local stand-in): school administrators.
    informat: Pool,
}

impl Authorizer {
    /// Reads both pools' JWKS from the emulator (tokens name the real Cognito host as issuer), and
    /// the identity provider's through its discovery document, as API Gateway does.
    pub async fn load(
        endpoint: &str,
        resources: &Resources,
        idp: &crate::idp::IdentityProvider,
    ) -> Result<Self, StackError> {
        Ok(Self {
            informat: Pool::discover(&idp.issuer, &idp.client_id).await?,
            partner: Pool::load(
                endpoint,
                &resources.region,
                &resources.partner_user_pool_id,
                &resources.partner_client_id,
            )
            .await?,
            staff: Pool::load(endpoint, &resources.region, &resources.staff_user_pool_id, &resources.staff_client_id)
                .await?,
        })
    }

    /// The claims of a valid token for a route that needs `auth`; `None` is API Gateway's 401.
    pub fn authorize(&self, auth: Auth, authorization: Option<&str>) -> Option<Claims> {
        let pool = match auth {
            Auth::Public => return Some(Claims::new()),
            Auth::Partner => &self.partner,
            Auth::Staff => &self.staff,
            Auth::SchoolAdmin => &self.informat,
        };
        let raw = authorization?.trim();
        let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
        pool.verify(token)
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str, what: &str) -> Result<T, StackError> {
    reqwest::get(url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| StackError::Provision(format!("{what}: {e}")))?
        .json()
        .await
        .map_err(|e| StackError::Provision(format!("{what}: {e}")))
}

fn decoding_keys(set: &JwkSet, what: &str) -> Result<HashMap<String, DecodingKey>, StackError> {
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone().unwrap_or_default();
        let key = DecodingKey::from_jwk(jwk).map_err(|e| StackError::Provision(format!("{what}: {e}")))?;
        keys.insert(kid, key);
    }
    Ok(keys)
}

impl Pool {
    async fn load(endpoint: &str, region: &str, pool_id: &str, client_id: &str) -> Result<Self, StackError> {
        let what = format!("JWKS of {pool_id}");
        let set: JwkSet = get_json(&format!("{endpoint}/{pool_id}/.well-known/jwks.json"), &what).await?;
        Ok(Self {
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            audience: client_id.to_owned(),
            keys: decoding_keys(&set, &what)?,
        })
    }

    /// An OpenID provider: its `jwks_uri` from `<issuer>/.well-known/openid-configuration`.
    async fn discover(issuer: &str, client_id: &str) -> Result<Self, StackError> {
        let what = format!("the OpenID provider {issuer}");
        let metadata: Value = get_json(&format!("{issuer}/.well-known/openid-configuration"), &what).await?;
        if metadata["issuer"].as_str() != Some(issuer) {
            return Err(StackError::Provision(format!("{what} names another issuer: {}", metadata["issuer"])));
        }
        let jwks_uri = metadata["jwks_uri"]
            .as_str()
            .ok_or_else(|| StackError::Provision(format!("{what}: no jwks_uri in its metadata")))?;
        let set: JwkSet = get_json(jwks_uri, &what).await?;
        Ok(Self { issuer: issuer.to_owned(), audience: client_id.to_owned(), keys: decoding_keys(&set, &what)? })
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 {
            return None;
        }
        let key = self.keys.get(header.kid.as_deref().unwrap_or_default())?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.leeway = 0;
        // Audience is checked below: `aud` for ID tokens, `client_id` for access tokens.
        validation.validate_aud = false;
        let claims = decode::<HashMap<String, Value>>(token, key, &validation).ok()?.claims;
        let audience = claims.get("aud").or_else(|| claims.get("client_id")).and_then(Value::as_str);
        if audience != Some(self.audience.as_str()) {
            return None;
        }
        Some(claims.into_iter().map(|(k, v)| (k, flatten(v))).collect())
    }
}

/// API Gateway's rendering of a claim value: strings as they are, arrays as `[a b]`.
fn flatten(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Array(items) => format!("[{}]", items.into_iter().map(flatten).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_flattened_like_api_gateway() {
        assert_eq!(flatten(Value::String("x".into())), "x");
        assert_eq!(flatten(serde_json::json!(["moderators", "b"])), "[moderators b]");
        assert_eq!(flatten(serde_json::json!(1795346405)), "1795346405");
    }
}
