//! What a token request costs: the token endpoint's handler (`POST /oauth2/token`) called as
//! Lambda calls it, against the local stack (moto for DynamoDB and KMS). A benchmark, not a test:
//! `cargo bench -p portal-e2e --bench token_endpoint`.
//!
//! For each way of authenticating it prints requests per second (one caller, and eight at once),
//! p50 and p99 latency, and where the time goes: the store (the one Query, plus any write), the
//! signer (KMS Sign), and the rest, which is the secret or signature check (argon2id for an
//! imported secret) and building the answer. Store and signer times are those of the emulator
//! on this machine, not of DynamoDB and KMS.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use jwt_compact::alg::Es256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt as _, Claims, Header, TimeOptions};
use portal::Deps;
use portal::domain::{Api, Client, ClientId, ClientJwks, PublicKeys, Scope, SecretHash, SecretToken, StoredSecret};
use portal::ports::{Attempts, SignerError, SigningJwk, StoreError, TokenClient, TokenSigner, TokenStore};
use portal_e2e::Stack;
use portal_functions::Operation;
use serde_json::{Value, json};

/// Time spent in a port, summed over all calls.
#[derive(Default)]
struct Spent(AtomicU64);

impl Spent {
    fn add(&self, since: Instant) {
        self.0.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
    fn take(&self) -> Duration {
        Duration::from_nanos(self.0.swap(0, Ordering::Relaxed))
    }
}

struct TimedStore(Arc<dyn TokenStore>, Arc<Spent>);
struct TimedSigner(Arc<dyn TokenSigner>, Arc<Spent>);

#[async_trait]
impl TokenStore for TimedStore {
    async fn token_client(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<TokenClient, StoreError> {
        let start = Instant::now();
        let out = self.0.token_client(id, now, window).await;
        self.1.add(start);
        out
    }
    async fn record_token_failure(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<Attempts, StoreError> {
        let start = Instant::now();
        let out = self.0.record_token_failure(id, now, window).await;
        self.1.add(start);
        out
    }
    async fn clear_token_failures(&self, id: &ClientId) -> Result<(), StoreError> {
        let start = Instant::now();
        let out = self.0.clear_token_failures(id).await;
        self.1.add(start);
        out
    }
    async fn use_assertion_once(
        &self,
        id: &ClientId,
        jti: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let start = Instant::now();
        let out = self.0.use_assertion_once(id, jti, now, until).await;
        self.1.add(start);
        out
    }
}

#[async_trait]
impl TokenSigner for TimedSigner {
    async fn public_jwk(&self) -> Result<SigningJwk, SignerError> {
        self.0.public_jwk().await
    }
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignerError> {
        let start = Instant::now();
        let out = self.0.sign_es256(signing_input).await;
        self.1.add(start);
        out
    }
}

fn client(id: &str, secret: Option<SecretHash>, jwks: ClientJwks) -> Client {
    let now = Utc::now();
    let scopes: BTreeSet<Scope> =
        ["leerlingen:012345", "personeel:012345", "leerlingen:54321"].iter().filter_map(|s| Scope::parse(s)).collect();
    Client {
        id: ClientId::parse(id).expect("id"),
        application_id: None,
        partner_id: None,
        active: true,
        partner_suspended: false,
        apis: [Api::parse("leerlingen"), Api::parse("personeel")].into_iter().flatten().collect(),
        scopes,
        blocked_scopes: Vec::new(),
        secrets: secret.map(|hash| vec![StoredSecret { hash, created_at: now, valid_until: None }]).unwrap_or_default(),
        jwks,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The sample event of the token route with another body and Authorization header.
fn request(template: &Value, body: &str, authorization: Option<String>) -> lambda_http::Request {
    let mut event = template.clone();
    event["body"] = json!(body);
    event["headers"]["content-length"] = json!(body.len().to_string());
    match authorization {
        Some(value) => event["headers"]["authorization"] = json!(value),
        None => {
            event["headers"].as_object_mut().expect("headers").remove("authorization");
        }
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid event")
}

struct Run {
    name: &'static str,
    requests: Vec<lambda_http::Request>,
}

async fn measure(deps: &Deps, store: &Spent, signer: &Spent, run: Run) {
    let n = run.requests.len();
    store.take();
    signer.take();
    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for req in run.requests {
        let start = Instant::now();
        let response = Operation::CreateToken.handle(deps, req).await;
        latencies.push(start.elapsed());
        assert_eq!(response.status(), 200, "{}: {:?}", run.name, response.body());
    }
    let total = started.elapsed();
    latencies.sort();
    let p = |q: f64| latencies[((n as f64 - 1.0) * q).round() as usize];
    let (store, signer) = (store.take(), signer.take());
    let share = |d: Duration| 100.0 * d.as_secs_f64() / total.as_secs_f64();
    let rest = total.saturating_sub(store + signer);
    println!(
        "{:<34} n {n:>4}  {:>7.1} req/s  p50 {:>9.2?}  p99 {:>9.2?}  store {:>4.1}%  KMS sign {:>4.1}%  check+rest {:>4.1}%",
        run.name,
        n as f64 / total.as_secs_f64(),
        p(0.5),
        p(0.99),
        share(store),
        share(signer),
        share(rest),
    );
}

async fn concurrent(deps: &Arc<Deps>, name: &str, requests: Vec<lambda_http::Request>, callers: usize) {
    let n = requests.len();
    let queue = Arc::new(std::sync::Mutex::new(requests));
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (deps, queue) = (deps.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some(req) = next else { break };
                    let response = Operation::CreateToken.handle(&deps, req).await;
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("caller");
    }
    println!("{name:<34} n {n:>4}  {:>7.1} req/s with {callers} callers", n as f64 / started.elapsed().as_secs_f64());
}

fn assertion(key: &p256::ecdsa::SigningKey, client_id: &str, aud: &str, n: usize) -> String {
    #[derive(serde::Serialize)]
    struct C<'a> {
        iss: &'a str,
        sub: &'a str,
        aud: &'a str,
        jti: String,
    }
    let claims = Claims::new(C {
        iss: client_id,
        sub: client_id,
        aud,
        jti: format!("bench-{n}-{}", Utc::now().timestamp_nanos_opt().unwrap_or_default()),
    })
    .set_duration_and_issuance(&TimeOptions::default(), chrono::Duration::minutes(4));
    Es256.token(&Header::empty().with_key_id("bench"), &claims, key).expect("assertion")
}

#[tokio::main]
async fn main() {
    let stack = Stack::start().await;
    let mut template: Value = serde_json::from_str(include_str!("../../events/create_token.json")).expect("event");
    // As the distribution sends it.
    if let Some(secret) = &stack.local.deps.config.origin_verify_secret {
        template["headers"]["x-origin-verify"] = json!(secret.expose());
    }
    let mut deps = (*stack.local.deps).clone();
    let (store_time, signer_time) = (Arc::new(Spent::default()), Arc::new(Spent::default()));
    deps.tokens = Arc::new(TimedStore(deps.tokens.clone(), store_time.clone()));
    deps.signer = Arc::new(TimedSigner(deps.signer.clone(), signer_time.clone()));
    let deps = Arc::new(deps);

    let generated = SecretToken::generate().expect("random");
    let key = loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("random");
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            break key;
        }
    };
    let mut jwk = serde_json::to_value(JsonWebKey::from(key.verifying_key())).expect("jwk");
    jwk["kid"] = json!("bench");
    let keys = PublicKeys::parse(&json!({"keys": [jwk]})).expect("jwks");
    let jwks = ClientJwks::default().replaced_by(keys, chrono::Utc::now());
    for c in [
        client("bench-generated", Some(SecretHash::of_generated(&generated)), ClientJwks::default()),
        client(
            "bench-imported",
            Some(SecretHash::of_imported("Oud-Geheim-012345").expect("argon2")),
            ClientJwks::default(),
        ),
        client("bench-jwt", None, jwks),
    ] {
        deps.applications.import_client(&c).await.expect("client stored");
    }
    let basic = |id: &str, secret: &str| Some(format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
    let form = "grant_type=client_credentials";
    let endpoint = deps.config.token_endpoint();
    let jwt_body = |n| {
        format!(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}",
            assertion(&key, "bench-jwt", &endpoint, n)
        )
    };
    // Warm up: the KMS public key (kid) is fetched once per execution environment.
    for _ in 0..5 {
        let response = Operation::CreateToken
            .handle(&deps, request(&template, form, basic("bench-generated", generated.expose())))
            .await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
    }

    println!(
        "token endpoint handler against the local stack (moto), {} logical CPUs",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let runs = [
        Run {
            name: "client_secret_basic, generated",
            requests: (0..300)
                .map(|_| request(&template, form, basic("bench-generated", generated.expose())))
                .collect(),
        },
        Run {
            name: "client_secret_basic, imported",
            requests: (0..100)
                .map(|_| request(&template, form, basic("bench-imported", "Oud-Geheim-012345")))
                .collect(),
        },
        Run {
            name: "private_key_jwt (ES256)",
            requests: (0..300).map(|n| request(&template, &jwt_body(n), None)).collect(),
        },
    ];
    for run in runs {
        measure(&deps, &store_time, &signer_time, run).await;
    }
    let requests = (0..300).map(|_| request(&template, form, basic("bench-generated", generated.expose()))).collect();
    concurrent(&deps, "client_secret_basic, generated", requests, 8).await;
    let requests = (0..100).map(|_| request(&template, form, basic("bench-imported", "Oud-Geheim-012345"))).collect();
    concurrent(&deps, "client_secret_basic, imported", requests, 8).await;
}
