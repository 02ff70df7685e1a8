//! The partner portal's library: everything a function needs, cut in layers.
//!
//! - [`domain`]: the nouns of the manual as types; a value that exists is valid.
//! - [`ports`]: what the domain needs from outside, as traits.
//! - [`adapters`]: DynamoDB, Cognito, SES v2 and S3 behind those traits (the only place an SDK is named).
//! - [`operations`]: the operations, one module per area as `functions/src/<area>.rs` is, written
//!   against the ports; what several share is in `operations::common`.
//! - [`http`]: the glue every function shares: parsing, claims, problem+json responses.

pub mod adapters;
pub mod config;
pub mod deps;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod operations;
pub mod ports;
pub mod telemetry;
#[cfg(test)]
pub mod testing;

pub use deps::Deps;
pub use error::AppError;
