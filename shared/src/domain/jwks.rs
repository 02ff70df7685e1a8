//! The public keys an application registers (PUT /applications/{id}/jwks) so it can authenticate
//! at the token endpoint with a signed JWT instead of a secret (`private_key_jwt`, RFC 7523).
//! Only EC P-256 and RSA of at least 2048 bits, and only their public members: a key that would
//! let someone sign (a private member, a symmetric key) is refused rather than stored.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// At most this many keys: enough to roll one over while the next is published.
pub const MAX_KEYS: usize = 10;
/// RSA keys shorter than this are refused (api.md: RSA >= 2048).
const MIN_RSA_BITS: usize = 2048;
/// And longer ones too: a 16384-bit key would make every verification slow.
const MAX_RSA_BITS: usize = 8192;
/// JWK members that only a private or symmetric key has.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const RSA_ALGORITHMS: &[Algorithm] =
    &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512];

/// One registered public key, stored and served back as its JWK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub enum ClientKey {
    #[serde(rename = "EC")]
    Ec {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kid: Option<String>,
        crv: String,
        x: String,
        y: String,
    },
    #[serde(rename = "RSA")]
    Rsa {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kid: Option<String>,
        /// The one algorithm the key may be used with, when the partner named one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alg: Option<String>,
        n: String,
        e: String,
    },
}

impl ClientKey {
    pub fn kid(&self) -> Option<&str> {
        match self {
            Self::Ec { kid, .. } | Self::Rsa { kid, .. } => kid.as_deref(),
        }
    }

    /// The signature algorithms this key verifies; never HMAC, never `none`.
    fn algorithms(&self) -> Vec<Algorithm> {
        match self {
            Self::Ec { .. } => vec![Algorithm::ES256],
            Self::Rsa { alg: Some(alg), .. } => {
                RSA_ALGORITHMS.iter().copied().filter(|a| format!("{a:?}") == *alg).collect()
            }
            Self::Rsa { alg: None, .. } => RSA_ALGORITHMS.to_vec(),
        }
    }

    fn decoding_key(&self) -> Option<DecodingKey> {
        match self {
            Self::Ec { x, y, .. } => DecodingKey::from_ec_components(x, y).ok(),
            Self::Rsa { n, e, .. } => DecodingKey::from_rsa_components(n, e).ok(),
        }
    }

    /// The key's RFC 7638 JWK thumbprint: the SHA-256 of its required public members (EC: crv,
    /// kty, x, y; RSA: e, kty, n) as compact JSON in lexicographic order, base64url. The same key
    /// has the same thumbprint whatever its `kid` or `alg`: it is the key's identity.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            Self::Ec { crv, x, y, .. } => serde_json::json!({"crv": crv, "kty": "EC", "x": x, "y": y}),
            Self::Rsa { n, e, .. } => serde_json::json!({"e": e, "kty": "RSA", "n": n}),
        };
        // serde_json's map is ordered by key and `to_string` is compact: RFC 7638 §3.2's form.
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string()))
    }

    /// The size of an RSA key's modulus in bits; none for an EC key (its curve says it).
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Ec { .. } => None,
            Self::Rsa { n, .. } => Some(URL_SAFE_NO_PAD.decode(n).map(|b| significant_bits(&b)).unwrap_or_default()),
        }
    }

    /// What the application's log shows of a key: its type and id, never the key material.
    pub fn describe(&self) -> String {
        let (kind, kid) = match self {
            Self::Ec { kid, .. } => ("EC P-256", kid),
            Self::Rsa { kid, n, .. } => {
                let bits = URL_SAFE_NO_PAD.decode(n).map(|b| significant_bits(&b)).unwrap_or_default();
                return format!("RSA {bits} bits{}", kid.as_ref().map(|k| format!(" ({k})")).unwrap_or_default());
            }
        };
        format!("{kind}{}", kid.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())
    }
}

/// A JWK Set as a partner sends it (PUT /applications/{id}/jwks), validated; not yet registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    pub keys: Vec<ClientKey>,
}

/// One registered key: the JWK and when it was registered. Keys stored before the time was kept
/// have none: "unknown".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredKey {
    #[serde(flatten)]
    pub key: ClientKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_at: Option<DateTime<Utc>>,
}

/// The keys of one application, validated and registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientJwks {
    pub keys: Vec<RegisteredKey>,
}

fn significant_bits(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => &[],
    };
    trimmed.first().map_or(0, |top| trimmed.len() * 8 - top.leading_zeros() as usize)
}

fn text<'a>(key: &'a Map<String, Value>, member: &str) -> Result<Option<&'a str>, String> {
    match key.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"{member}\" moet een tekst zijn.")),
    }
}

fn base64url(key: &Map<String, Value>, member: &str) -> Result<(String, Vec<u8>), String> {
    let raw = text(key, member)?.ok_or_else(|| format!("\"{member}\" ontbreekt."))?;
    let bytes =
        URL_SAFE_NO_PAD.decode(raw).map_err(|_| format!("\"{member}\" is geen base64url zonder opvulling ('=')."))?;
    Ok((raw.to_owned(), bytes))
}

fn parse_key(key: &Value) -> Result<ClientKey, String> {
    let key = key.as_object().ok_or("Dit is geen JSON-object.")?;
    if key.contains_key("k") {
        return Err("Dit is een geheime (symmetrische) sleutel: registreer alleen een publieke EC- of RSA-sleutel. Houd het geheim bij jezelf.".into());
    }
    if let Some(private) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
        return Err(format!(
            "Dit is een private sleutel: registreer alleen de publieke sleutel (zonder \"{private}\"). Houd de private sleutel bij jezelf."
        ));
    }
    if text(key, "use")?.is_some_and(|u| u != "sig") {
        return Err("\"use\" moet \"sig\" zijn: de sleutel dient om te ondertekenen.".into());
    }
    if let Some(ops) = key.get("key_ops")
        && !ops.as_array().is_some_and(|ops| ops.iter().all(|op| op == "verify"))
    {
        return Err("\"key_ops\" mag alleen \"verify\" bevatten.".into());
    }
    let kid = match text(key, "kid")? {
        Some(kid) if kid.is_empty() || kid.len() > 200 => return Err("\"kid\" moet 1 tot 200 tekens lang zijn.".into()),
        kid => kid.map(str::to_owned),
    };
    let alg = text(key, "alg")?;
    match text(key, "kty")? {
        Some("EC") => {
            if text(key, "crv")? != Some("P-256") {
                return Err("Alleen de curve P-256 (ES256) wordt aanvaard.".into());
            }
            if alg.is_some_and(|a| a != "ES256") {
                return Err("Een P-256-sleutel ondertekent met ES256: laat \"alg\" weg of zet het op ES256.".into());
            }
            let (x, xb) = base64url(key, "x")?;
            let (y, yb) = base64url(key, "y")?;
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&xb);
            point.extend_from_slice(&yb);
            if xb.len() != 32 || yb.len() != 32 || p256::PublicKey::from_sec1_bytes(&point).is_err() {
                return Err("\"x\" en \"y\" vormen geen punt op de curve P-256.".into());
            }
            Ok(ClientKey::Ec { kid, crv: "P-256".into(), x, y })
        }
        Some("RSA") => {
            if let Some(alg) = alg
                && !RSA_ALGORITHMS.iter().any(|a| format!("{a:?}") == alg)
            {
                return Err(format!(
                    "Het algoritme {alg} past niet bij een RSA-sleutel: gebruik RS256, RS384, RS512, PS256, PS384 of PS512."
                ));
            }
            let (n, nb) = base64url(key, "n")?;
            let (e, eb) = base64url(key, "e")?;
            let bits = significant_bits(&nb);
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(format!(
                    "Een RSA-sleutel moet {MIN_RSA_BITS} tot {MAX_RSA_BITS} bits hebben; deze heeft er {bits}."
                ));
            }
            if significant_bits(&eb) < 2 || eb.last().is_none_or(|b| b % 2 == 0) || eb.len() > 8 {
                return Err("\"e\" is geen geldige publieke exponent.".into());
            }
            Ok(ClientKey::Rsa { kid, alg: alg.map(str::to_owned), n, e })
        }
        Some(other) => Err(format!("Het sleuteltype {other} wordt niet aanvaard: alleen EC (P-256) en RSA.")),
        None => Err("\"kty\" ontbreekt: geef het sleuteltype, EC of RSA.".into()),
    }
}

impl PublicKeys {
    /// Validates `{keys: [...]}`; the error says, in Dutch, which key is wrong and why.
    pub fn parse(body: &Value) -> Result<Self, String> {
        let keys = body
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("keys"))
            .and_then(Value::as_array)
            .ok_or("Stuur een JWK Set: een object met alleen 'keys', een lijst van publieke sleutels.")?;
        if keys.len() > MAX_KEYS {
            return Err(format!("Registreer hoogstens {MAX_KEYS} sleutels; je stuurde er {}.", keys.len()));
        }
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                // One key: the reason alone; more: which one it is about.
                parse_key(key).map_err(|why| if keys.len() == 1 { why } else { format!("Sleutel {}: {why}", i + 1) })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut kids = BTreeSet::new();
        if let Some(kid) = keys.iter().filter_map(ClientKey::kid).find(|kid| !kids.insert(*kid)) {
            return Err(format!("De 'kid' {kid} komt meer dan eens voor; elke sleutel heeft een eigen 'kid'."));
        }
        let mut thumbprints = BTreeSet::new();
        if keys.iter().any(|k| !thumbprints.insert(k.thumbprint())) {
            return Err("Dezelfde sleutel komt meer dan eens voor; registreer elke sleutel één keer.".into());
        }
        Ok(Self { keys })
    }
}

impl ClientJwks {
    /// The set that replaces this one with `keys`: a key already registered (the same thumbprint)
    /// keeps the time it was added, a new key is added `now`.
    pub fn replaced_by(&self, keys: PublicKeys, now: DateTime<Utc>) -> Self {
        let keys = keys
            .keys
            .into_iter()
            .map(|key| {
                let thumbprint = key.thumbprint();
                let kept = self.keys.iter().find(|k| k.key.thumbprint() == thumbprint).map(|k| k.added_at);
                RegisteredKey { key, added_at: kept.unwrap_or(Some(now)) }
            })
            .collect();
        Self { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a client assertion (RFC 7523 §3): signed by one of these keys with an algorithm the
    /// key allows, `iss` = `sub` = `client_id`, `aud` one of `audiences`, `exp` present, in the
    /// future and at most [`MAX_ASSERTION_LIFETIME`] away, `nbf`/`iat` not in the future, and a
    /// `jti`. Replay of the `jti` is the caller's to check (it needs the store).
    pub fn verify_assertion(
        &self,
        assertion: &str,
        client_id: &str,
        audiences: &[&str],
        now: DateTime<Utc>,
    ) -> Result<AssertionClaims, &'static str> {
        // `alg: none` and unknown algorithms do not even parse as a header.
        let header = jsonwebtoken::decode_header(assertion).map_err(|_| "de assertion is geen geldige JWS")?;
        let candidates: Vec<&ClientKey> = self
            .keys
            .iter()
            .map(|k| &k.key)
            .filter(|k| k.algorithms().contains(&header.alg))
            .filter(|k| header.kid.is_none() || k.kid() == header.kid.as_deref())
            .collect();
        if candidates.is_empty() {
            return Err("geen geregistreerde sleutel past bij de 'kid' en het algoritme van de assertion");
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[client_id]);
        validation.sub = Some(client_id.to_owned());
        validation.set_audience(audiences);
        validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
        // Times are checked below against the portal's clock.
        validation.validate_exp = false;
        let claims = candidates
            .iter()
            .filter_map(|key| key.decoding_key())
            .find_map(|key| jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).ok())
            .ok_or("de handtekening, 'iss', 'sub' of 'aud' van de assertion klopt niet")?
            .claims;
        let now = now.timestamp();
        let leeway = CLOCK_SKEW.num_seconds();
        if claims.exp <= now - leeway {
            return Err("de assertion is verlopen ('exp')");
        }
        if claims.exp > now + MAX_ASSERTION_LIFETIME.num_seconds() + leeway {
            return Err("'exp' van de assertion ligt te ver in de toekomst (hoogstens 5 minuten)");
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway) || claims.iat.is_some_and(|iat| iat > now + leeway) {
            return Err("de assertion is nog niet geldig ('nbf' of 'iat' ligt in de toekomst)");
        }
        match &claims.jti {
            Some(jti) if !jti.is_empty() && jti.len() <= 256 => Ok(claims),
            _ => Err("de assertion heeft geen 'jti' (1 tot 256 tekens)"),
        }
    }
}

/// How far apart the partner's clock and the portal's may be.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(30);
/// An assertion may be valid this long at most: it is made for one token request.
pub const MAX_ASSERTION_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// The claims of a client assertion the portal reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// RFC 7517 appendix A.1: a 2048-bit RSA public key.
    const RFC_RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn ec_key() -> Value {
        // RFC 7517 appendix A.1's P-256 key.
        json!({"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM", "use": "sig", "kid": "1"})
    }

    #[test]
    fn accepts_p256_and_rsa_2048_public_keys() {
        let keys = PublicKeys::parse(&json!({"keys": [ec_key(), {"kty": "RSA", "n": RFC_RSA_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}]}))
            .expect("valid");
        assert_eq!(keys.keys.len(), 2);
        assert_eq!(keys.keys[1].describe(), "RSA 2048 bits (2011-04-29)");
        assert_eq!(keys.keys[1].rsa_bits(), Some(2048));
        let now = Utc::now();
        let jwks = ClientJwks::default().replaced_by(keys, now);
        let stored = serde_json::to_value(&jwks).expect("json");
        assert_eq!(stored["keys"][0]["kty"], "EC", "stored as JWKs");
        assert_eq!(serde_json::from_value::<ClientJwks>(stored).expect("read back"), jwks);
        let empty = ClientJwks::default().replaced_by(PublicKeys::parse(&json!({"keys": []})).expect("empty"), now);
        assert!(empty.is_empty(), "removing every key is allowed");
    }

    /// RFC 7638 §3.1's example: the thumbprint of RFC 7517's RSA key, whatever its kid and alg.
    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        let keys = PublicKeys::parse(
            &json!({"keys": [{"kty": "RSA", "n": RFC_RSA_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}]}),
        )
        .expect("valid");
        assert_eq!(keys.keys[0].thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        let ec = PublicKeys::parse(&json!({"keys": [ec_key()]})).expect("valid");
        assert_ne!(ec.keys[0].thumbprint(), keys.keys[0].thumbprint());
        assert_eq!(ec.keys[0].thumbprint().len(), 43, "SHA-256, base64url without padding");
    }

    #[test]
    fn a_key_that_stays_keeps_the_time_it_was_added_and_a_new_one_gets_now() {
        let rsa = json!({"kty": "RSA", "n": RFC_RSA_N, "e": "AQAB"});
        let first = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").expect("time").to_utc();
        let later = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").expect("time").to_utc();
        let one =
            ClientJwks::default().replaced_by(PublicKeys::parse(&json!({"keys": [ec_key()]})).expect("valid"), first);
        // The same EC key under another kid is the same key; the RSA key is new.
        let mut renamed = ec_key();
        renamed["kid"] = json!("hernoemd");
        let two = one.replaced_by(PublicKeys::parse(&json!({"keys": [rsa, renamed]})).expect("valid"), later);
        assert_eq!(two.keys[0].added_at, Some(later), "new");
        assert_eq!(two.keys[1].added_at, Some(first), "kept");
        assert_eq!(two.keys[1].key.kid(), Some("hernoemd"));
        // A key stored before the time was kept stays "unknown".
        let old: ClientJwks = serde_json::from_value(json!({"keys": [ec_key()]})).expect("old item");
        assert_eq!(old.keys[0].added_at, None);
        let again = old.replaced_by(PublicKeys::parse(&json!({"keys": [ec_key()]})).expect("valid"), later);
        assert_eq!(again, old, "an unchanged set is no change");
    }

    #[test]
    fn refuses_private_symmetric_small_and_malformed_keys() {
        let cases = [
            (json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}), "Dit is een geheime (symmetrische) sleutel"),
            (
                json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM", "d": "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}]}),
                "Dit is een private sleutel: registreer alleen de publieke sleutel (zonder \"d\"). Houd de private sleutel bij jezelf.",
            ),
            (json!({"keys": [{"kty": "EC", "crv": "P-384", "x": "a", "y": "b"}]}), "P-256"),
            (
                json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"}]}),
                "punt",
            ),
            (json!({"keys": [{"kty": "RSA", "n": &RFC_RSA_N[..168], "e": "AQAB"}]}), "2048"),
            (json!({"keys": [{"kty": "RSA", "n": RFC_RSA_N, "e": "AQAB", "alg": "HS256"}]}), "HS256"),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}),
                "OKP",
            ),
            (json!({"keys": [ec_key(), ec_key()]}), "meer dan eens"),
            (json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "MKBC+NIc", "y": "4Etl"}]}), "base64url"),
            (json!({"keys": [ec_key()], "extra": 1}), "JWK Set"),
            (json!({"keys": vec![json!({"kty": "RSA"}); 11]}), "hoogstens 10"),
            (json!([ec_key()]), "JWK Set"),
        ];
        for (body, says) in cases {
            let err = PublicKeys::parse(&body).expect_err("refused");
            assert!(err.contains(says), "{body}: {err}");
            // Each reads as a sentence: a capital first and one full stop last.
            assert!(
                (err.starts_with(char::is_uppercase) || err.starts_with('"'))
                    && err.ends_with('.')
                    && !err.ends_with(".."),
                "{err}"
            );
        }
    }

    #[test]
    fn an_rsa_key_never_verifies_an_hmac_or_unsigned_assertion() {
        let keys = PublicKeys::parse(&json!({"keys": [{"kty": "RSA", "n": RFC_RSA_N, "e": "AQAB"}]})).expect("valid");
        assert!(!keys.keys[0].algorithms().iter().any(|a| format!("{a:?}").starts_with("HS")));
        let now = Utc::now();
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"c","sub":"c","aud":"a","exp":{}}}"#, now.timestamp() + 60))
        );
        let jwks = ClientJwks::default().replaced_by(keys, now);
        assert!(jwks.verify_assertion(&none, "c", &["a"], now).is_err());
    }
}
