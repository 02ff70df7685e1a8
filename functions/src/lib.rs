//! The portal's Lambda handlers. Each handler is a plain async function
//! `(&Deps, Request) -> HttpResult`; [`Operation::handle`] turns its result into the response
//! (problem+json for an error) and logs the outcome: tests and the local stack call that. One
//! binary (`src/bin/bootstrap.rs`) serves them all: [`run`] reads the function's `Handler` setting and
//! serves that operation from the table in [`operations`].

pub mod access;
pub mod accounts;
pub mod applications;
pub mod clients;
pub mod directory;
pub mod operations;
pub mod profiles;
pub mod suspension;
pub mod tokens;
mod views;

use std::sync::Arc;

pub use lambda_http;
pub use operations::{Auth, Function, Operation, ROUTES, Route, SCHEDULED, Scheduled};
pub use portal::Deps;

/// A text field as sent, or "" when it was left out: the domain types say whether that is allowed.
pub(crate) fn field(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// A path parameter as the route gave it (`id` of `/applications/{id}`), or "" when it has none:
/// the operation's parser refuses it like any other text that names nothing.
pub(crate) fn path_param(req: &lambda_http::Request, name: &str) -> String {
    use lambda_http::RequestExt as _;
    req.path_parameters().first(name).unwrap_or_default().to_owned()
}

/// Start-up of every function: configuration and clients, once per execution environment (the
/// logs are installed by [`run`] before it).
async fn init() -> Result<Arc<Deps>, lambda_http::Error> {
    let deps = portal::adapters::aws::deps_from_env().await.map_err(|e| {
        tracing::error!(error = %e, "configuration is incomplete");
        e
    })?;
    Ok(Arc::new(deps))
}

/// The variable in which Lambda passes a function's `Handler` setting to a custom runtime.
pub const HANDLER_VARIABLE: &str = "_HANDLER";

/// The whole `main` of the Lambda binary: logs, the operation named by `_HANDLER`, the
/// configuration and clients (once per execution environment), then the runtime loop. An
/// unknown handler fails the start (Lambda reports an init error) and says what it got.
pub async fn run() -> Result<(), lambda_http::Error> {
    use lambda_http::tracing::{self, Instrument as _};

    portal::telemetry::init();
    let handler = std::env::var(HANDLER_VARIABLE).unwrap_or_default();
    let Some(function) = Function::from_handler(&handler) else {
        tracing::error!(handler = %handler, "the function's Handler names no operation");
        return Err(format!("{HANDLER_VARIABLE}={handler:?} names no operation of portal-functions").into());
    };
    let deps = init().await?;
    let name = function.name();
    match function {
        Function::Http(operation) => {
            lambda_http::run(lambda_http::service_fn(move |req| {
                let deps = deps.clone();
                let span = tracing::info_span!("handler", function = name);
                async move { Ok::<_, std::convert::Infallible>(operation.handle(&deps, req).await) }.instrument(span)
            }))
            .await
        }
        // A failure is returned to the runtime, so EventBridge retries the event and, in the end,
        // sends it to the dead-letter queue.
        Function::Scheduled(job) => {
            lambda_http::lambda_runtime::run(lambda_http::service_fn(
                move |event: lambda_http::LambdaEvent<serde_json::Value>| {
                    let deps = deps.clone();
                    async move {
                        job.handle(&deps, event.payload).await.map_err(|e| {
                            tracing::error!(function = name, outcome = "failed", error = %e, "scheduled run failed");
                            lambda_http::Error::from(e.to_string())
                        })
                    }
                },
            ))
            .await
        }
    }
}
