//! The local stack: an AWS emulator, the resources template.yaml declares, and every route
//! served in process behind a local HTTP API that behaves as API Gateway does.
//!
//! `cargo run -p portal-local` runs it; the end-to-end tests start one per test.

pub mod authorizer;
pub mod cors;
pub mod emulator;
pub mod idp;
pub mod local;
pub mod npm;
pub mod provision;
pub mod server;
pub mod staff;
pub mod state;
pub mod template;
pub mod web;

use std::sync::Arc;

use portal::config::Config;
use portal::domain::Email;

pub use local::{OffsetClock, RecordingMailer, SentMail};
pub use provision::Resources;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("AWS emulator: {0}")]
    Emulator(String),
    #[error("provisioning the emulator: {0}")]
    Provision(String),
    #[error("serving the API: {0}")]
    Serve(String),
    #[error("the front end: {0}")]
    Web(String),
    #[error("the stand-in for Informat's identity provider: {0}")]
    Idp(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Port of the API on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// An emulator that is already running; `None` starts a private moto server.
    pub aws_endpoint: Option<String>,
    /// The front end's address, used in links in mails.
    pub portal_url: String,
    /// The back office's address, used in access-request links; empty: `<portal_url>/beheer`
    /// (api.md, "Front end pages").
    pub backoffice_url: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 3000,
            aws_endpoint: std::env::var("PORTAL_AWS_ENDPOINT").ok().filter(|v| !v.trim().is_empty()),
            portal_url: std::env::var("PORTAL_URL").unwrap_or_else(|_| "http://localhost:5173".into()),
            backoffice_url: std::env::var("BACKOFFICE_URL").unwrap_or_default(),
        }
    }
}

/// A running local stack. Dropping it stops the API and the emulator it started.
pub struct LocalStack {
    pub api_url: String,
    pub aws_endpoint: String,
    pub resources: Resources,
    pub mails: Arc<RecordingMailer>,
    pub clock: Arc<OffsetClock>,
    /// What the handlers are given: for tests that call a handler directly.
    pub deps: Arc<portal::Deps>,
    /// Every request the handlers' AWS clients sent, by `Service.Operation`.
    pub aws_requests: portal::adapters::aws::AwsRequests,
    /// The stand-in for Informat's identity provider, where school administrators sign in.
    pub informat: Arc<idp::IdentityProvider>,
    server: tokio::task::JoinHandle<()>,
    front_end: Option<tokio::task::JoinHandle<()>>,
    _emulator: emulator::Emulator,
}

impl LocalStack {
    pub async fn start(options: Options) -> Result<Self, StackError> {
        let backoffice_url = if options.backoffice_url.trim().is_empty() {
            format!("{}/beheer", options.portal_url.trim_end_matches('/'))
        } else {
            options.backoffice_url.trim_end_matches('/').to_owned()
        };
        // The emulator and the identity provider start side by side.
        let (emulator, informat) = tokio::join!(
            async {
                match &options.aws_endpoint {
                    Some(endpoint) => Ok(emulator::Emulator::external(endpoint)),
                    None => emulator::Emulator::start().await,
                }
            },
            idp::IdentityProvider::start(&backoffice_url),
        );
        let (emulator, informat) = (emulator?, Arc::new(informat?));
        // Bound first: the API's own address goes into the URLs it gives out (logos).
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|e| StackError::Serve(format!("cannot listen on 127.0.0.1:{}: {e}", options.port)))?;
        let address = listener.local_addr().map_err(|e| StackError::Serve(e.to_string()))?;
        let api_url = format!("http://{address}");
        let sdk = portal::adapters::aws::for_emulator(&emulator.endpoint, "eu-west-1").await;
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        let resources = provision::provision(&sdk, &suffix).await?;

        let config = Config {
            table_name: resources.table.clone(),
            partner_user_pool_id: resources.partner_user_pool_id.clone(),
            partner_client_id: resources.partner_client_id.clone(),
            staff_client_id: resources.staff_client_id.clone(),
            staff_user_pool_id: resources.staff_user_pool_id.clone(),
            portal_url: options.portal_url.trim_end_matches('/').to_owned(),
            mail_from_accounts: Email::parse("MAIL_FROM_ACCOUNTS", provision::SENDERS[0])
                .map_err(|e| StackError::Provision(e.message))?,
            mail_from_access: Email::parse("MAIL_FROM_ACCESS", provision::SENDERS[1])
                .map_err(|e| StackError::Provision(e.message))?,
            backoffice_url,
            logo_bucket: resources.logo_bucket.clone(),
            public_api_url: api_url.clone(),
            signing_key_id: resources.signing_key_id.clone(),
            token_audience: portal::config::DEFAULT_TOKEN_AUDIENCE.into(),
            token_lifetime_seconds: 3600,
            // The local gateway sends it with every request, as the distribution does in AWS.
            origin_verify_secret: Some(portal::config::OriginSecret::new(uuid::Uuid::new_v4().simple().to_string())),
            informat_idp: portal::config::InformatIdp {
                issuer: informat.issuer.clone(),
                rights_claim: informat.rights_claim.clone(),
                email_claim: portal::config::DEFAULT_EMAIL_CLAIM.into(),
            },
        };
        let aws_requests = portal::adapters::aws::AwsRequests::default();
        let mut deps = portal::adapters::aws::counted_deps(&sdk, config, &aws_requests);
        let clock = Arc::new(OffsetClock::default());
        deps.clock = clock.clone();
        let mails = Arc::new(RecordingMailer::new(deps.mailer.clone(), clock.clone()));
        deps.mailer = mails.clone();

        let cors = cors::Cors::new(&[&deps.config.portal_url, &deps.config.backoffice_url])?;
        let authorizer = authorizer::Authorizer::load(&emulator.endpoint, &resources, &informat).await?;
        let deps = Arc::new(deps);
        let state = Arc::new(state::AppState {
            deps: deps.clone(),
            authorizer,
            resources: resources.clone(),
            aws_endpoint: emulator.endpoint.clone(),
            mails: mails.clone(),
            clock: clock.clone(),
            sdk,
            cors,
            aws_requests: aws_requests.clone(),
            informat: informat.clone(),
        });
        let app = server::router(state);
        let server = tokio::spawn(async move {
            // The peer's address becomes the request's `sourceIp`, as API Gateway gives it.
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the local API stopped");
            }
        });
        Ok(Self {
            api_url,
            aws_endpoint: emulator.endpoint.clone(),
            resources,
            mails,
            clock,
            deps,
            aws_requests,
            informat,
            server,
            front_end: None,
            _emulator: emulator,
        })
    }

    /// Serves a built front end (`web/build`, or any directory with an index.html) on
    /// 127.0.0.1:`port` (0 picks a free one), as the deployed host does (module [`web`]), with a
    /// `/config.json` that points at this stack's API, answered from memory (nothing is written
    /// into the build). Returns its address.
    pub async fn serve_front_end(&mut self, build: &std::path::Path, port: u16) -> Result<String, StackError> {
        let site = web::site(build, &self.api_url, &self.deps.config.backoffice_url, &self.informat)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            StackError::Web(format!(
                "cannot listen on 127.0.0.1:{port} ({e}); another port: --portal-url http://localhost:<port>"
            ))
        })?;
        let address = listener.local_addr().map_err(|e| StackError::Web(e.to_string()))?;
        if let Some(previous) = self.front_end.replace(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, site).await {
                tracing::error!(error = %e, "the local front end stopped");
            }
        })) {
            previous.abort();
        }
        Ok(format!("http://{address}"))
    }

    /// Serves until the server task ends (Ctrl-C ends the process).
    pub async fn serve_forever(&mut self) {
        let _ = (&mut self.server).await;
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(front_end) = &self.front_end {
            front_end.abort();
        }
    }
}
