//! The partner portal's library: everything a function needs, cut in layers.
//!
//! - [`domain`]: the nouns of the manual as types; a value that exists is valid.
//! - [`ports`]: what the domain needs from outside, as traits.
//! - [`adapters`]: DynamoDB, Cognito, SES v2 and S3 behind those traits (the only place an SDK is named).
//! - [`accounts`], [`profiles`], [`directory`]: the operations, written against the ports.
//! - [`http`]: the glue every function shares: parsing, claims, problem+json responses.

pub mod access;
pub mod accounts;
pub mod adapters;
pub mod applications;
pub mod clients;
pub mod config;
pub mod deps;
pub mod directory;
pub mod domain;
pub mod error;
pub mod http;
pub mod legacy;
pub mod mail;
pub mod ports;
pub mod profiles;
pub mod suspension;
pub mod telemetry;
#[cfg(test)]
pub mod testing;
pub mod tokens;

pub use deps::Deps;
pub use error::AppError;
