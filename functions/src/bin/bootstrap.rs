//! The one Lambda binary: every function of template.yaml runs it, and its `Handler` setting
//! (`_HANDLER`) names the operation (functions/src/operations.rs). One build, one package.
#[tokio::main]
async fn main() -> Result<(), portal_functions::lambda_http::Error> {
    portal_functions::run().await
}
