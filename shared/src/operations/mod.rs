//! The operations, one module per area, named as the function crate's modules are
//! (`functions/src/<area>.rs` calls `operations::<area>`). No operation module imports another:
//! what several of them share (the caller's account and profile, notifying the partner) is in
//! [`common`], errors they share are constructors of [`crate::error::AppError`].

pub mod access;
pub mod accounts;
pub mod applications;
pub mod clients;
pub(crate) mod common;
pub mod directory;
pub mod legacy;
pub mod profiles;
pub mod suspension;
pub mod tokens;
