//! Everything a handler needs, behind ports. Built once per Lambda execution environment (or
//! once for the local stack) and shared by every request.

use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::ports::{
    AccessStore, AccountStore, ApplicationStore, AttemptStore, Clock, Identity, LogoStore, Lookups, Mailer,
    MemberStore, ProfileStore, Sessions, StaffAccounts, StaffResetStore, TokenSigner, TokenStore,
};

#[derive(Clone)]
pub struct Deps {
    pub config: Config,
    pub accounts: Arc<dyn AccountStore>,
    pub attempts: Arc<dyn AttemptStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub members: Arc<dyn MemberStore>,
    pub logos: Arc<dyn LogoStore>,
    pub applications: Arc<dyn ApplicationStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub access: Arc<dyn AccessStore>,
    pub lookups: Arc<dyn Lookups>,
    pub signer: Arc<dyn TokenSigner>,
    pub identity: Arc<dyn Identity>,
    /// Sign-in to the back office's (staff) user pool.
    pub staff_sessions: Arc<dyn Sessions>,
    /// The staff pool's users, for the back office's "Wachtwoord vergeten?".
    pub staff_accounts: Arc<dyn StaffAccounts>,
    /// The back office's reset tokens.
    pub staff_resets: Arc<dyn StaffResetStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// The production wiring: configuration from the environment, AWS clients from the default
    /// credential chain (an `AWS_ENDPOINT_URL` override is honoured, as the SDK does).
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let aws = crate::adapters::aws::load_from_env().await;
        Ok(crate::adapters::aws::deps(&aws, config))
    }
}
