//! Everything a handler needs, behind ports. Built once per Lambda execution environment (or
//! once for the local stack) and shared by every request; the wiring that builds it is
//! [`crate::adapters::aws`], the one place that names the adapters.

use std::sync::Arc;

use crate::config::Config;
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
