//! The end-to-end tests: the API over HTTP on the local stack, each test with its own stack and
//! emulator. One test binary, one module per subject (`cargo test -p portal-e2e --test e2e
//! accounts::` runs one of them).

mod access;
mod accounts;
mod applications;
mod clients;
mod directory;
mod events;
mod gateway;
mod oauth;
mod profiles;
mod provisioning;
mod routes;
mod staff_reset;
mod staff_sessions;
mod text;
