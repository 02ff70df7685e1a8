//! Wiring: one SDK configuration, the clients made from it, and the [`Deps`] they form.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use aws_config::SdkConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::interceptors::{BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

use super::{
    cognito::{CognitoIdentity, CognitoSessions, CognitoStaff},
    dynamo::DynamoStore,
    kms::KmsSigner,
    s3::S3Logos,
    ses::SesMailer,
};
use crate::config::{Config, ConfigError};
use crate::deps::Deps;
use crate::ports::SystemClock;

/// The production wiring: configuration from the environment, AWS clients from the default
/// credential chain (an `AWS_ENDPOINT_URL` override is honoured, as the SDK does).
pub async fn deps_from_env() -> Result<Deps, ConfigError> {
    let config = Config::from_env()?;
    let aws = load_from_env().await;
    Ok(deps(&aws, config))
}

/// The default chain: region and credentials of the Lambda environment; `AWS_ENDPOINT_URL` if set.
pub async fn load_from_env() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// A configuration for an AWS emulator on `endpoint` (the local stack and the tests).
pub async fn for_emulator(endpoint: &str, region: &str) -> SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "emulator");
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .load()
        .await
}

pub fn deps(sdk: &SdkConfig, config: Config) -> Deps {
    wire(sdk, config, None)
}

/// [`deps`] whose clients count every request they send in `requests`: the local stack's
/// figures of AWS requests per operation (`cargo bench -p portal-e2e --bench operations`).
pub fn counted_deps(sdk: &SdkConfig, config: Config, requests: &AwsRequests) -> Deps {
    wire(sdk, config, Some(SharedInterceptor::new(requests.clone())))
}

fn wire(sdk: &SdkConfig, config: Config, counter: Option<SharedInterceptor>) -> Deps {
    // One interceptor type serves every client: the SDKs share the smithy runtime's trait.
    macro_rules! client {
        ($sdk:ident, $builder:expr) => {{
            let mut builder = $builder;
            if let Some(counter) = &counter {
                builder.push_interceptor(counter.clone());
            }
            $sdk::Client::from_conf(builder.build())
        }};
    }
    let dynamodb = client!(aws_sdk_dynamodb, aws_sdk_dynamodb::config::Builder::from(sdk));
    let kms = client!(aws_sdk_kms, aws_sdk_kms::config::Builder::from(sdk));
    // S3 addresses buckets by host name; an emulator behind an endpoint override only
    // understands bucket names in the path.
    let s3 = client!(aws_sdk_s3, aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some()));
    let cognito = client!(aws_sdk_cognitoidentityprovider, aws_sdk_cognitoidentityprovider::config::Builder::from(sdk));
    let ses = client!(aws_sdk_sesv2, aws_sdk_sesv2::config::Builder::from(sdk));
    let store = Arc::new(DynamoStore::new(dynamodb, config.table_name.clone()));
    Deps {
        accounts: store.clone(),
        attempts: store.clone(),
        profiles: store.clone(),
        members: store.clone(),
        applications: store.clone(),
        tokens: store.clone(),
        access: store.clone(),
        staff_resets: store.clone(),
        lookups: store,
        signer: Arc::new(KmsSigner::new(kms, config.signing_key_id.clone())),
        logos: Arc::new(S3Logos::new(s3, config.logo_bucket.clone())),
        identity: Arc::new(CognitoIdentity::new(
            cognito.clone(),
            config.partner_user_pool_id.clone(),
            config.partner_client_id.clone(),
        )),
        staff_sessions: Arc::new(CognitoSessions::new(cognito.clone(), config.staff_client_id.clone())),
        staff_accounts: Arc::new(CognitoStaff::new(cognito, config.staff_user_pool_id.clone())),
        mailer: Arc::new(SesMailer::new(ses)),
        clock: Arc::new(SystemClock),
        config,
    }
}

/// Counts the requests AWS clients send (every attempt, retries included), by service and
/// operation, e.g. `DynamoDB.TransactWriteItems`, and the longest chain of them that ran one after
/// the other: requests in flight together (a `join!`) are one step of the chain.
#[derive(Debug, Default, Clone)]
pub struct AwsRequests(Arc<Mutex<Counted>>);

#[derive(Debug, Default)]
struct Counted {
    by_operation: BTreeMap<String, usize>,
    in_flight: usize,
    /// Steps since the last take: how often a request started while none was in flight.
    steps: usize,
}

/// Marks an attempt that was transmitted, so its end is counted once (an attempt can fail
/// before it is sent).
#[derive(Debug, Clone)]
struct InFlight;

impl Storable for InFlight {
    type Storer = StoreReplace<Self>;
}

impl AwsRequests {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counted> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The requests counted since the last call, by `Service.Operation`.
    pub fn take(&self) -> BTreeMap<String, usize> {
        self.take_with_chain().0
    }

    /// The requests counted since the last call, and how many of them ran one after the other
    /// (the sequential round trips: the latency a caller waits for AWS).
    pub fn take_with_chain(&self) -> (BTreeMap<String, usize>, usize) {
        let mut counted = self.lock();
        let steps = std::mem::take(&mut counted.steps);
        (std::mem::take(&mut counted.by_operation), steps)
    }
}

impl Intercept for AwsRequests {
    fn name(&self) -> &'static str {
        "count AWS requests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = match cfg.load::<Metadata>() {
            Some(operation) => format!("{}.{}", operation.service(), operation.name()),
            None => "unknown".to_owned(),
        };
        cfg.interceptor_state().store_put(InFlight);
        let mut counted = self.lock();
        *counted.by_operation.entry(key).or_default() += 1;
        if counted.in_flight == 0 {
            counted.steps += 1;
        }
        counted.in_flight += 1;
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<InFlight>().is_some() {
            cfg.interceptor_state().unset::<InFlight>();
            let mut counted = self.lock();
            counted.in_flight = counted.in_flight.saturating_sub(1);
        }
        Ok(())
    }
}
