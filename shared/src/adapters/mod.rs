//! The AWS side of the ports. Each module is the only place its SDK is named.

pub mod aws;
pub mod cognito;
pub mod dynamo;
pub mod kms;
pub mod s3;
pub mod ses;
