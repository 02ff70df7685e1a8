//! Wiring: one SDK configuration, the clients made from it, and the [`Deps`] they form.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use aws_config::SdkConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use super::{
    cognito::{CognitoIdentity, CognitoSessions},
    dynamo::DynamoStore,
    kms::KmsSigner,
    s3::S3Logos,
    ses::SesMailer,
};
use crate::config::Config;
use crate::deps::Deps;
use crate::ports::SystemClock;

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
        access: store,
        signer: Arc::new(KmsSigner::new(kms, config.signing_key_id.clone())),
        logos: Arc::new(S3Logos::new(s3, config.logo_bucket.clone())),
        identity: Arc::new(CognitoIdentity::new(
            cognito.clone(),
            config.partner_user_pool_id.clone(),
            config.partner_client_id.clone(),
        )),
        staff_sessions: Arc::new(CognitoSessions::new(cognito, config.staff_client_id.clone())),
        mailer: Arc::new(SesMailer::new(ses)),
        clock: Arc::new(SystemClock),
        config,
    }
}

/// Counts the requests AWS clients send (every attempt, retries included), by service and
/// operation, e.g. `DynamoDB.TransactWriteItems`.
#[derive(Debug, Default, Clone)]
pub struct AwsRequests(Arc<Mutex<BTreeMap<String, usize>>>);

impl AwsRequests {
    /// The requests counted since the last call, by `Service.Operation`.
    pub fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
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
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(key).or_default() += 1;
        Ok(())
    }
}
