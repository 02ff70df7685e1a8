//! Structured JSON logs: one line per event, with the Lambda request id (from the runtime's span),
//! the function name and the outcome. No personal data: log codes and ids, not emails or bodies.

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber once; later calls do nothing (tests and the local stack call it freely).
pub fn init() {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(false)
        .try_init();
}
