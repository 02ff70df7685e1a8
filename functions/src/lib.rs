//! The portal's Lambda handlers. Each handler is a plain async function
//! `(&Deps, Request) -> Response<Body>` that tests and the local stack call directly; each binary
//! in `src/bin/` wires one of them to the Lambda runtime with [`lambda_main!`].

pub mod accounts;
pub mod applications;
pub mod clients;
pub mod directory;
pub mod oauth;
pub mod profiles;
pub mod routes;
pub mod schedule;
pub mod schools;

use std::sync::Arc;

pub use lambda_http;
pub use portal::Deps;
pub use routes::{Auth, Operation, ROUTES, Route, SCHEDULED};

/// A text field as sent, or "" when it was left out: the domain types say whether that is allowed.
pub(crate) fn field(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Start-up of every function: JSON logs, configuration and clients, once per execution environment.
pub async fn init() -> Result<Arc<Deps>, lambda_http::Error> {
    portal::telemetry::init();
    let deps = Deps::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "configuration is incomplete");
        e
    })?;
    Ok(Arc::new(deps))
}

/// `lambda_main!(path::to::handler)`: the whole `main` of a function binary.
#[macro_export]
macro_rules! lambda_main {
    ($handler:path) => {
        #[tokio::main]
        async fn main() -> Result<(), $crate::lambda_http::Error> {
            use $crate::lambda_http::tracing::Instrument as _;
            let deps = $crate::init().await?;
            let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| env!("CARGO_BIN_NAME").to_owned());
            $crate::lambda_http::run($crate::lambda_http::service_fn(move |req| {
                let deps = deps.clone();
                let span = $crate::lambda_http::tracing::info_span!("handler", function = %function);
                async move { Ok::<_, std::convert::Infallible>($handler(&deps, req).await) }.instrument(span)
            }))
            .await
        }
    };
}
