//! Wiring: one SDK configuration, the clients made from it, and the [`Deps`] they form.

use std::sync::Arc;

pub use aws_config::SdkConfig;
use aws_config::{BehaviorVersion, Region};

use super::{cognito::CognitoIdentity, dynamo::DynamoStore, kms::KmsSigner, s3::S3Logos, ses::SesMailer};
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
    let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), config.table_name.clone()));
    Deps {
        accounts: store.clone(),
        attempts: store.clone(),
        profiles: store.clone(),
        members: store.clone(),
        applications: store.clone(),
        tokens: store.clone(),
        access: store,
        signer: Arc::new(KmsSigner::new(aws_sdk_kms::Client::new(sdk), config.signing_key_id.clone())),
        logos: Arc::new(S3Logos::new(s3_client(sdk), config.logo_bucket.clone())),
        identity: Arc::new(CognitoIdentity::new(
            aws_sdk_cognitoidentityprovider::Client::new(sdk),
            config.partner_user_pool_id.clone(),
            config.partner_client_id.clone(),
        )),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(sdk))),
        clock: Arc::new(SystemClock),
        config,
    }
}

/// S3 addresses buckets by host name; an emulator behind an endpoint override only understands
/// bucket names in the path.
fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some()).build();
    aws_sdk_s3::Client::from_conf(config)
}
