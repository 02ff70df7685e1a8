//! What the domain needs from the outside world, as traits. Handlers and operations depend on
//! these; the adapters implement them for AWS, tests and the local stack may wrap them.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::domain::{
    AccessRequest, Account, AccountId, Application, ApplicationId, ApplicationStatus, Category, Change, Client,
    ClientId, Email, Institution, LogEntry, Logo, MailBudget, MailLimit, OneTimeToken, PartnerId, Password, Profile,
    SchoolAccess, StaffResetToken, StaffRole, TokenHash, TokenPurpose,
};

/// "Now", as the portal sees it. The local stack can move it forward to expire links.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The real time, which the user pools stamp their tokens with (`iat`), also where `now` is
    /// moved forward (the local stack): token times are compared with this one.
    fn real_now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the table could not be reached or refused the request: {0}")]
    Unavailable(String),
    #[error("a stored item could not be read: {0}")]
    Corrupt(String),
    #[error("the pagination cursor is not one this list gave out")]
    InvalidCursor,
    /// A conditional write found a part no longer as the caller read it; nothing was written.
    #[error("the {0:?} changed since it was read; nothing was written")]
    Stale(Stale),
}

/// One page of a list, and the cursor of the next page (`None` on the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The result of registering an account's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Yes,
    /// Another account already holds this email address.
    EmailTaken,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores the account, the guard that keeps its email unique and its activation token, in
    /// one transaction.
    async fn create_account(&self, account: &Account, activation: &OneTimeToken) -> Result<Created, StoreError>;
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError>;
    /// Marks the account active (idempotent).
    async fn activate(&self, id: &AccountId, at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError>;
    /// Stores a password-reset token and makes it the account's newest ([`Account::reset_token`]),
    /// in one transaction: every earlier reset token stops working.
    async fn put_reset_token(&self, token: &OneTimeToken) -> Result<(), StoreError>;
    /// Ends every session issued before `from` ([`Account::sessions_valid_from`]).
    async fn end_sessions(&self, id: &AccountId, from: DateTime<Utc>) -> Result<(), StoreError>;
    /// Reads a token, used or not, expired or not (until the table's TTL removes it), without
    /// removing it; `None` when there is none for `purpose` (never issued, or used).
    async fn token(&self, hash: &TokenHash, purpose: TokenPurpose) -> Result<Option<OneTimeToken>, StoreError>;
    /// Removes and returns the token if it exists, is for `purpose` and is still valid at `now`;
    /// atomically, so a token works once even when two requests race.
    async fn take_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError>;
}

/// The result of creating a profile and linking its creator, in one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileCreated {
    Yes,
    /// Another profile has the same name (compared by [`crate::domain::ProfileName::key`]).
    NameTaken,
    /// Another profile has the same slug (a different name that slugs alike); try another slug.
    SlugTaken,
    /// The creator's account is already linked to a profile.
    AccountAlreadyLinked,
}

#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// Stores the profile with the guards of its name and slug, links the creator's account,
    /// makes it a member and writes `log` to the profile's log: all or nothing.
    async fn create_profile(
        &self,
        profile: &Profile,
        creator: &Account,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<ProfileCreated, StoreError>;
    async fn profile(&self, id: &PartnerId) -> Result<Option<Profile>, StoreError>;
    /// Replaces `before` by `after` if nobody changed it since (`before.version`), moves the name
    /// guard when the name changed, and stores the log entries: all or nothing.
    async fn update_profile(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<ProfileUpdated, StoreError> {
        self.update_profile_resubmitting(before, after, log, &[], change).await
    }
    /// [`Self::update_profile`], and in the same transaction the applications the edit sends
    /// back to review, each only if it is still the version that was read (manual 3.3.1: after a
    /// rejection the partner fixes its profile and Informat evaluates again). `Err(Stale)`: an
    /// application changed meanwhile; nothing was written.
    async fn update_profile_resubmitting(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
        change: &Change,
    ) -> Result<ProfileUpdated, StoreError>;
    /// The profile's log, newest first.
    async fn profile_log(&self, id: &PartnerId, limit: u32, cursor: Option<&str>)
    -> Result<Page<LogEntry>, StoreError>;
    /// Several profiles at once (the review queue names each application's partner).
    async fn profiles(&self, ids: &[PartnerId]) -> Result<Vec<Profile>, StoreError>;
    /// The profile whose public address is `slug`, listed or not.
    async fn profile_by_slug(&self, slug: &str) -> Result<Option<Profile>, StoreError>;
    /// One page of the listed profiles ([`Profile::is_listed`]) that match `filter`, ordered by
    /// name. Reads the directory's own index, which holds listed profiles only.
    async fn directory(
        &self,
        filter: &DirectoryFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Profile>, StoreError>;
}

/// An application a profile edit sends back to review: as read, as it will be, its log entries.
#[derive(Debug, Clone, Copy)]
pub struct Resubmission<'a> {
    pub before: &'a Application,
    pub after: &'a Application,
    pub log: &'a [LogEntry],
}

/// What the public directory is narrowed to (GET /partners).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    pub category: Option<Category>,
    /// Words that must all occur in the name or description, folded by
    /// [`crate::domain::search_text`].
    pub words: Vec<String>,
}

/// Where logo images are kept (the logo bucket).
#[async_trait]
pub trait LogoStore: Send + Sync {
    async fn put_logo(&self, partner: &PartnerId, logo: &Logo, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes of a stored logo; `None` when there is no such object.
    async fn logo(&self, partner: &PartnerId, logo: &Logo) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes a logo (idempotent).
    async fn delete_logo(&self, partner: &PartnerId, logo: &Logo) -> Result<(), StoreError>;
}

/// A code that links another account to a profile (manual 3.2.2): stored only as its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub hash: TokenHash,
    pub partner_id: PartnerId,
    pub invited_by: Email,
    pub expires_at: DateTime<Utc>,
}

/// A linked account of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: AccountId,
    pub email: Email,
    pub linked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    /// Linked to the invitation's profile.
    Yes(Invitation),
    /// Unknown, used or expired.
    InvalidCode,
    AccountAlreadyLinked,
}

#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Stores the invitation and writes `log` to its profile's log, in one transaction.
    async fn put_invitation(
        &self,
        invitation: &Invitation,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError>;
    /// Uses the invitation (once, before it expires) to link `account` to its profile, makes it
    /// a member and logs it: all or nothing.
    async fn link(&self, hash: &TokenHash, account: &Account, now: DateTime<Utc>) -> Result<Linked, StoreError>;
    async fn members(&self, partner: &PartnerId) -> Result<Vec<Member>, StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileUpdated {
    Yes,
    /// The new name is another profile's.
    NameTaken,
}

/// Failed attempts within a window, for throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
}

#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// The failures counted under `key` in the window that is open at `now`, if any.
    async fn attempts(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Option<Attempts>, StoreError>;
    /// Counts one failure under `key`: in the open window, or in a new one that starts `now`.
    async fn record_failure(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Attempts, StoreError>;
    async fn clear(&self, key: &str) -> Result<(), StoreError>;
    /// The failures of several keys at once (one read), in the order of `keys`.
    async fn attempts_of(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Vec<Option<Attempts>>, StoreError>;
    /// Takes one of `max` uses of `key` in the sliding `window` that ends `now`: `false` when
    /// `max` were taken within it already. Conditional writes only, so racing requests never
    /// take more than `max`.
    async fn take_use(&self, key: &str, now: DateTime<Utc>, window: Duration, max: u32) -> Result<bool, StoreError>;
    /// Counts one under `key` for the UTC `day` unless `max` were counted that day already
    /// (`false`): one conditional write. The count may go at `expires_at` (its TTL).
    async fn take_daily(
        &self,
        key: &str,
        day: chrono::NaiveDate,
        max: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The tokens a successful sign-in gives: the user pool's own.
#[derive(Clone)]
pub struct Session {
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub token_type: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with this username exists")]
    AlreadyExists,
    #[error("the password does not meet the pool's policy")]
    InvalidPassword,
    #[error("wrong username, password or token")]
    InvalidCredentials,
    #[error("the account is not confirmed")]
    NotConfirmed,
    #[error("the user pool throttled the request")]
    TooManyRequests,
    /// The pool wants a new password before it hands out tokens (a user an administrator created
    /// with a temporary password).
    #[error("the user must choose a new password first")]
    PasswordChangeRequired,
    #[error("the user pool refused a parameter: {0}")]
    InvalidParameter(String),
    #[error("the user pool could not be reached or refused the request: {0}")]
    Unavailable(String),
}

/// A user as the user pool knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUser {
    pub id: AccountId,
    pub confirmed: bool,
}

/// Signing in to one user pool and refreshing its sessions: the partner pool (through
/// [`Identity`]) or the staff pool of the back office (`Deps::staff_sessions`).
#[async_trait]
pub trait Sessions: Send + Sync {
    async fn sign_in(&self, email: &Email, password: &Password) -> Result<Session, IdentityError>;
    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError>;
    /// Revokes one refresh token (sign-out): it gives no new tokens afterwards, and the access
    /// tokens issued from it stop working. A token the pool does not know is no failure.
    async fn revoke(&self, refresh_token: &str) -> Result<(), IdentityError>;
}

/// Partner accounts and sessions in the partner user pool.
#[async_trait]
pub trait Identity: Sessions {
    async fn sign_up(&self, email: &Email, password: &Password) -> Result<AccountId, IdentityError>;
    async fn find_user(&self, email: &Email) -> Result<Option<PoolUser>, IdentityError>;
    async fn confirm(&self, email: &Email) -> Result<(), IdentityError>;
    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError>;
    /// Revokes every refresh token of the user (its access tokens stay valid until they
    /// expire: the portal refuses them through [`Account::sessions_valid_from`]).
    async fn sign_out_everywhere(&self, email: &Email) -> Result<(), IdentityError>;
}

/// The back office's users in the staff pool, as far as "Wachtwoord vergeten?" needs them (admin
/// calls on the staff pool; its sign-in is [`Sessions`], `Deps::staff_sessions`).
#[async_trait]
pub trait StaffAccounts: Send + Sync {
    /// What the user with this address is; `None` when the pool has no such user.
    async fn role(&self, email: &Email) -> Result<Option<StaffRole>, IdentityError>;
    /// Sets a permanent password.
    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError>;
    /// Revokes every refresh token of the user.
    async fn sign_out_everywhere(&self, email: &Email) -> Result<(), IdentityError>;
}

/// The staff users' reset tokens, in the table under keys of their own (there is no account item
/// for a staff user): each token by its hash, and beside each user the hash of its newest token.
#[async_trait]
pub trait StaffResetStore: Send + Sync {
    /// Stores the token and makes it the user's newest, in one transaction: every earlier token
    /// of the user stops working.
    async fn put_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError>;
    /// Removes and returns the token if it exists and is still valid at `now`; atomically, so a
    /// token works once even when two requests race.
    async fn take_staff_reset(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffResetToken>, StoreError>;
    /// The hash of the newest token sent to `email`, if any.
    async fn newest_staff_reset(&self, email: &Email) -> Result<Option<TokenHash>, StoreError>;
    /// Puts a taken token back (a step after taking it failed on our side), leaving the user's
    /// newest as it is.
    async fn restore_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError>;
}

/// A mail ready to send: text and HTML, already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub from: Email,
    pub to: Vec<Email>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the mail could not be sent: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// One change to an application, with what it changes beside it, written all or nothing. Each
/// `before` is the version the caller read: the write happens only if it is still the stored one.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationWrite<'a> {
    /// `None`: a new application.
    pub before: Option<&'a Application>,
    pub after: &'a Application,
    /// The client it changes: (the stored one, or `None` for a new client; the new state).
    pub client: Option<(Option<&'a Client>, &'a Client)>,
    /// The partner's profile, when its count of approved applications changes.
    pub profile: Option<(&'a Profile, &'a Profile)>,
    pub log: &'a [LogEntry],
    /// What the write does (see [`Change`]).
    pub change: &'a Change,
}

/// Which part of an [`ApplicationWrite`] was no longer as the caller read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    Application,
    Client,
    Profile,
}

/// The outcome of an import of an existing client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    /// A client with this id exists already; it was left as it is.
    Exists,
}

/// What a change to one application reads before it writes, in one round trip: see
/// [`ApplicationStore::application_context`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationContext {
    /// The partner's application; another partner's is `None`, as if it did not exist.
    pub application: Option<Application>,
    pub profile: Option<Profile>,
    /// The client that was asked for, if it exists.
    pub client: Option<Client>,
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    async fn write_application(&self, write: ApplicationWrite<'_>) -> Result<(), StoreError>;
    /// An application of `partner`; another partner's is `None`, as if it did not exist.
    async fn application(&self, partner: &PartnerId, id: &ApplicationId) -> Result<Option<Application>, StoreError>;
    /// Any partner's application: for Informat's moderators.
    async fn application_by_id(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError>;
    /// The partner's applications, newest first.
    async fn applications(&self, partner: &PartnerId) -> Result<Vec<Application>, StoreError>;
    /// Applications with `status`, oldest first: the review queue.
    async fn applications_by_status(
        &self,
        status: ApplicationStatus,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError>;
    /// An application's log, newest first.
    async fn application_log(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError>;
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// The partner's application `id`, the partner's profile and (when given) the client
    /// `client`, strongly consistent and in one request (a BatchGetItem): what a change to the
    /// application reads. The three are not read as one snapshot; each write that follows is
    /// conditional on the versions read.
    async fn application_context(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        client: Option<&ClientId>,
    ) -> Result<ApplicationContext, StoreError>;
    /// Writes the partner's profile (as read, as it will be) with its log entries and sets
    /// `partner_suspended` to `suspended` on every client in `clients` without reading them
    /// first (an update of that flag and the client's version only, so nothing else of the
    /// client is overwritten), all or nothing. `Err(Stale::Profile)`: the profile changed since
    /// it was read; `Err(Stale::Client)`: a client does not exist.
    async fn write_partner_suspension(
        &self,
        profile: (&Profile, &Profile),
        clients: &[ClientId],
        suspended: bool,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError>;
    /// Stores an existing client unless one with its id exists (idempotent).
    async fn import_client(&self, client: &Client) -> Result<Imported, StoreError>;
    /// Replaces a client, conditional on the version read; `log` goes to its application's log
    /// when it belongs to one (and is dropped otherwise).
    async fn write_client(
        &self,
        before: &Client,
        after: &Client,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError>;
}

/// What the token endpoint reads for one client id, in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClient {
    pub client: Option<Client>,
    /// Failed authentications for this client id in the window open at the time of reading.
    pub failures: Option<Attempts>,
}

/// The token endpoint's view of the store: it must stay one read per request.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The client and its failed-authentication count together (one Query).
    async fn token_client(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<TokenClient, StoreError>;
    /// Counts one failed client authentication for `id`.
    async fn record_token_failure(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Attempts, StoreError>;
    async fn clear_token_failures(&self, id: &ClientId) -> Result<(), StoreError>;
    /// Remembers the `jti` of a client assertion until `until`; `false` when it was seen before
    /// and is still remembered (a replay).
    async fn use_assertion_once(
        &self,
        id: &ClientId,
        jti: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

#[derive(Debug, thiserror::Error)]
#[error("token signing: {0}")]
pub struct SignerError(pub String);

/// The public half of the token signing key, as a JWK (RFC 7517) with its `kid`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SigningJwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub y: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

/// Signs access tokens with ES256; the private key never leaves the signer (KMS).
#[async_trait]
pub trait TokenSigner: Send + Sync {
    /// The public key (fetched once and kept).
    async fn public_jwk(&self) -> Result<SigningJwk, SignerError>;
    /// The JWS signature (r ‖ s, 64 bytes) of `signing_input` with ES256.
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignerError>;
}

impl SigningJwk {
    /// The JWK of a P-256 public key, its `kid` the RFC 7638 thumbprint: it names the key itself,
    /// so a new key gets a new `kid` without anyone choosing one.
    pub fn p256(key: &p256::PublicKey) -> Self {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        use sha2::Digest as _;
        let point = key.to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| URL_SAFE_NO_PAD.encode(c)).unwrap_or_default();
        let (x, y) = (coordinate(point.x()), coordinate(point.y()));
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()));
        Self { kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use_: "sig" }
    }
}

/// One change to a client's access at one school, written all or nothing.
#[derive(Debug, Clone, Copy)]
pub struct AccessWrite<'a> {
    /// The client as read and as it will be (its scopes).
    pub client: (&'a Client, &'a Client),
    /// The school's index entry as it will be.
    pub school: SchoolIndex<'a>,
    /// The request the grant came through (as read, as it will be), if any.
    pub request: Option<(&'a AccessRequest, &'a AccessRequest)>,
    /// The application's log entries: (its partner, its id, the entries).
    pub log: (&'a PartnerId, &'a ApplicationId, &'a [LogEntry]),
    /// What the write does (see [`Change`]).
    pub change: &'a Change,
}

/// What a change of access does to a school's index entry.
#[derive(Debug, Clone, Copy)]
pub enum SchoolIndex<'a> {
    /// The client holds scopes here: the entry, with its grants per API.
    Put(&'a SchoolAccess),
    /// The client keeps no scope at this school: its entry there is removed.
    Remove(&'a Institution),
}

/// The outcome of storing a batch of access requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestsStored {
    Yes,
    /// Informat deactivated the partner.
    PartnerInactive,
    /// The day's budget has no room for the batch.
    Limited(MailLimit),
}

/// Access requests and the access schools granted.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Stores new requests (all of one application) and their log entries, in one transaction,
    /// only while their partner is active and while the day's `budget` has room for them: one
    /// mail per address per application per day, and the application's and the partner's daily
    /// counts. Nothing is stored when it answers anything but [`RequestsStored::Yes`].
    async fn create_access_requests(
        &self,
        requests: &[AccessRequest],
        log: &[LogEntry],
        budget: &MailBudget,
        change: &Change,
    ) -> Result<RequestsStored, StoreError>;
    /// Adds entries to an application's log (the outcome of a send, say).
    async fn append_application_log(
        &self,
        partner: &PartnerId,
        application: &ApplicationId,
        log: &[LogEntry],
    ) -> Result<(), StoreError>;
    async fn access_request(&self, hash: &TokenHash) -> Result<Option<AccessRequest>, StoreError>;
    /// An application's requests, oldest first.
    async fn access_requests(&self, application: &ApplicationId) -> Result<Vec<AccessRequest>, StoreError>;
    async fn write_access(&self, write: AccessWrite<'_>) -> Result<(), StoreError>;
    /// The index entries of one school (one Query on an index).
    async fn school_access(&self, institution: &Institution) -> Result<Vec<SchoolAccess>, StoreError>;
    /// The schools a client has an index entry at (a strongly consistent read).
    async fn client_access(&self, client: &ClientId) -> Result<Vec<SchoolAccess>, StoreError>;
    async fn clients(&self, ids: &[ClientId]) -> Result<Vec<Client>, StoreError>;
    async fn applications_by_keys(&self, keys: &[(PartnerId, ApplicationId)]) -> Result<Vec<Application>, StoreError>;
    /// Pending requests whose expiry falls on `day` and is before `now` (one Query on the expiry
    /// index); also how many items the Query read.
    async fn expiring(
        &self,
        day: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Vec<AccessRequest>, u64), StoreError>;
    /// Marks a pending request expired with its log entry; `false` when it was no longer pending.
    async fn expire(&self, request: &AccessRequest, log: &LogEntry, change: &Change) -> Result<bool, StoreError>;
}

/// Reads that name what an operation reads next, so that those reads go out together in the
/// following round trip (issue 16: at most 4 round trips one after the other).
#[async_trait]
pub trait Lookups: Send + Sync {
    /// An application by its id alone, as the id index holds it: one Query, eventually
    /// consistent. Its partner and its client id (fixed once given) say which items to read
    /// next; for its state, read the application itself.
    async fn indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError>;
    /// An invitation code by its hash, expired or not, without using it.
    async fn invitation(&self, hash: &TokenHash) -> Result<Option<Invitation>, StoreError>;
    /// A client and its index entry at one school, as one consistent snapshot (a change of
    /// access writes both at once, conditional on the client's version only: the entry must not
    /// be older than the client it is written with).
    async fn client_at_school(
        &self,
        id: &ClientId,
        institution: &Institution,
    ) -> Result<(Option<Client>, Option<SchoolAccess>), StoreError>;
}
