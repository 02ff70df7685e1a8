//! Lambda for the daily schedule that expires access requests (EventBridge; template.yaml
//! `ExpireAccessRequestsFunction`). A failure is returned to the runtime, so EventBridge
//! retries it and, in the end, sends the event to the dead-letter queue.
use portal_functions::lambda_http::{self, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let deps = portal_functions::init().await?;
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let deps = deps.clone();
        async move {
            portal_functions::schedule::expire_access_requests(&deps, event.payload).await.map_err(|e| {
                tracing::error!(function = "expire_access_requests", outcome = "failed", error = %e, "expiry run failed");
                lambda_http::Error::from(e.to_string())
            })
        }
    }))
    .await
}
