//! In-memory doubles of the ports, for unit tests of the operations: they keep the ports'
//! contracts (conditional writes, single-use tokens) and can be told to fail.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::deps::Deps;
use crate::domain::{
    AccessRequest, AccessRequestStatus, Account, AccountId, AccountStatus, Application, ApplicationId,
    ApplicationStatus, Client, ClientId, Email, Institution, LogEntry, Logo, MailBudget, MailLimit, OneTimeToken,
    PartnerId, Password, Profile, SchoolAccess, StaffResetToken, StaffRole, TokenHash, TokenPurpose, search_text,
};
use crate::domain::{Address, Api, ApplicationFields, Caller, Change, ProfileFields, ProfileName, Website, categories};
use crate::operations::applications::{approve_application, create_application};
use crate::ports::*;

/// A 1×1 PNG: the smallest real logo.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[derive(Default)]
pub struct MemoryStore {
    accounts: Mutex<HashMap<AccountId, Account>>,
    emails: Mutex<HashMap<Email, AccountId>>,
    tokens: Mutex<HashMap<TokenHash, OneTimeToken>>,
    attempts: Mutex<HashMap<String, Attempts>>,
    uses: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
    profiles: Mutex<HashMap<PartnerId, Profile>>,
    logos: Mutex<HashMap<(PartnerId, String), Vec<u8>>>,
    applications: Mutex<HashMap<ApplicationId, Application>>,
    clients: Mutex<HashMap<ClientId, Client>>,
    app_logs: Mutex<Vec<(ApplicationId, LogEntry)>>,
    profile_logs: Mutex<Vec<(PartnerId, LogEntry)>>,
    used_assertions: Mutex<HashMap<(ClientId, String), DateTime<Utc>>>,
    access_requests: Mutex<Vec<AccessRequest>>,
    school_access: Mutex<Vec<SchoolAccess>>,
    /// Access-request mails per (application or partner, day), and the (application, day,
    /// address) that got one.
    mail_counts: Mutex<HashMap<String, u32>>,
    mailed: Mutex<std::collections::HashSet<String>>,
    staff_resets: Mutex<HashMap<TokenHash, StaffResetToken>>,
    staff_newest: Mutex<HashMap<Email, TokenHash>>,
    /// The id index has not seen any application yet (GSI3 is eventually consistent):
    /// `indexed_application` finds nothing.
    pub index_behind: AtomicBool,
    /// The changes written, in order (what each write carried).
    changes: Mutex<Vec<Change>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryStore {
    /// The changes the writes carried, oldest first: what a consumer of every change would see.
    pub fn changes(&self) -> Vec<Change> {
        lock(&self.changes).clone()
    }

    fn record(&self, change: &Change) {
        lock(&self.changes).push(change.clone());
    }

    pub fn token_count(&self) -> usize {
        lock(&self.tokens).len()
    }

    /// The ids of the logo images stored for `partner`.
    pub fn logo_ids(&self, partner: &PartnerId) -> Vec<String> {
        lock(&self.logos).keys().filter(|(p, _)| p == partner).map(|(_, id)| id.clone()).collect()
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(&self, account: &Account, activation: &OneTimeToken) -> Result<Created, StoreError> {
        let mut emails = lock(&self.emails);
        if emails.contains_key(&account.email) {
            return Ok(Created::EmailTaken);
        }
        emails.insert(account.email.clone(), account.id.clone());
        lock(&self.accounts).insert(account.id.clone(), account.clone());
        lock(&self.tokens).insert(activation.hash.clone(), activation.clone());
        Ok(Created::Yes)
    }
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        Ok(lock(&self.accounts).get(id).cloned())
    }
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        let id = lock(&self.emails).get(email).cloned();
        Ok(id.and_then(|id| lock(&self.accounts).get(&id).cloned()))
    }
    async fn activate(&self, id: &AccountId, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(a) = lock(&self.accounts).get_mut(id) {
            a.status = AccountStatus::Active;
            a.activated_at.get_or_insert(at);
        }
        Ok(())
    }
    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        lock(&self.tokens).insert(token.hash.clone(), token.clone());
        Ok(())
    }
    async fn put_reset_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        let mut accounts = lock(&self.accounts);
        let account = accounts.get_mut(&token.account_id).ok_or(StoreError::Corrupt("no account".into()))?;
        account.reset_token = Some(token.hash.clone());
        lock(&self.tokens).insert(token.hash.clone(), token.clone());
        Ok(())
    }
    async fn end_sessions(&self, id: &AccountId, from: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(a) = lock(&self.accounts).get_mut(id) {
            a.sessions_valid_from = Some(from);
        }
        Ok(())
    }
    async fn token(&self, hash: &TokenHash, purpose: TokenPurpose) -> Result<Option<OneTimeToken>, StoreError> {
        Ok(lock(&self.tokens).get(hash).filter(|t| t.purpose == purpose).cloned())
    }
    async fn take_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        let mut tokens = lock(&self.tokens);
        match tokens.get(hash) {
            Some(t) if t.purpose == purpose && t.is_valid_at(now) => Ok(tokens.remove(hash)),
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl AttemptStore for MemoryStore {
    async fn attempts(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Option<Attempts>, StoreError> {
        Ok(lock(&self.attempts).get(key).copied().filter(|a| now < a.window_started_at + window))
    }
    async fn record_failure(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Attempts, StoreError> {
        let mut all = lock(&self.attempts);
        let entry = all.entry(key.to_owned()).or_insert(Attempts { failures: 0, window_started_at: now });
        if now >= entry.window_started_at + window {
            *entry = Attempts { failures: 0, window_started_at: now };
        }
        entry.failures += 1;
        Ok(*entry)
    }
    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.attempts).remove(key);
        Ok(())
    }
    async fn attempts_of(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Vec<Option<Attempts>>, StoreError> {
        let all = lock(&self.attempts);
        Ok(keys.iter().map(|k| all.get(k).copied().filter(|a| now < a.window_started_at + window)).collect())
    }
    async fn take_use(&self, key: &str, now: DateTime<Utc>, window: Duration, max: u32) -> Result<bool, StoreError> {
        let mut uses = lock(&self.uses);
        let times = uses.entry(key.to_owned()).or_default();
        times.retain(|t| *t > now - window);
        if times.len() >= max as usize {
            return Ok(false);
        }
        times.push(now);
        Ok(true)
    }
    async fn take_daily(
        &self,
        key: &str,
        day: chrono::NaiveDate,
        max: u32,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut counts = lock(&self.mail_counts);
        let count = counts.entry(format!("DAILY#{key}#{day}")).or_default();
        if *count >= max {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }
}

#[async_trait]
impl ProfileStore for MemoryStore {
    async fn create_profile(
        &self,
        profile: &Profile,
        creator: &Account,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<ProfileCreated, StoreError> {
        let mut profiles = lock(&self.profiles);
        if profiles.values().any(|p| p.fields.name.key() == profile.fields.name.key()) {
            return Ok(ProfileCreated::NameTaken);
        }
        if profiles.values().any(|p| p.slug == profile.slug) {
            return Ok(ProfileCreated::SlugTaken);
        }
        let mut accounts = lock(&self.accounts);
        let Some(account) = accounts.get_mut(&creator.id) else { return Err(StoreError::Corrupt("no account".into())) };
        if account.partner_id.is_some() {
            return Ok(ProfileCreated::AccountAlreadyLinked);
        }
        account.partner_id = Some(profile.id.clone());
        profiles.insert(profile.id.clone(), profile.clone());
        lock(&self.profile_logs).extend(log.iter().map(|e| (profile.id.clone(), e.clone())));
        self.record(change);
        Ok(ProfileCreated::Yes)
    }
    async fn profile(&self, id: &PartnerId) -> Result<Option<Profile>, StoreError> {
        Ok(lock(&self.profiles).get(id).cloned())
    }
    async fn update_profile_resubmitting(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
        change: &Change,
    ) -> Result<ProfileUpdated, StoreError> {
        // The order write_application locks in.
        let mut apps = lock(&self.applications);
        let mut profiles = lock(&self.profiles);
        if profiles.get(&before.id).map(|p| p.version) != Some(before.version) {
            return Err(StoreError::Stale(Stale::Profile));
        }
        if profiles.values().any(|p| p.id != after.id && p.fields.name.key() == after.fields.name.key()) {
            return Ok(ProfileUpdated::NameTaken);
        }
        if applications.iter().any(|r| apps.get(&r.before.id).map(|a| a.version) != Some(r.before.version)) {
            return Err(StoreError::Stale(Stale::Application));
        }
        profiles.insert(after.id.clone(), after.clone());
        lock(&self.profile_logs).extend(log.iter().map(|e| (after.id.clone(), e.clone())));
        for r in applications {
            apps.insert(r.after.id.clone(), r.after.clone());
            lock(&self.app_logs).extend(r.log.iter().map(|e| (r.after.id.clone(), e.clone())));
        }
        self.record(change);
        Ok(ProfileUpdated::Yes)
    }
    async fn profile_log(
        &self,
        id: &PartnerId,
        _limit: u32,
        _cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        let mut items: Vec<_> =
            lock(&self.profile_logs).iter().filter(|(p, _)| p == id).map(|(_, e)| e.clone()).collect();
        items.reverse();
        Ok(Page { items, next_cursor: None })
    }
    async fn profiles(&self, ids: &[PartnerId]) -> Result<Vec<Profile>, StoreError> {
        Ok(lock(&self.profiles).values().filter(|p| ids.contains(&p.id)).cloned().collect())
    }
    async fn profile_by_slug(&self, slug: &str) -> Result<Option<Profile>, StoreError> {
        Ok(lock(&self.profiles).values().find(|p| p.slug == slug).cloned())
    }
    /// Every match on one page: the doubles do not paginate.
    async fn directory(
        &self,
        filter: &DirectoryFilter,
        _limit: u32,
        _cursor: Option<&str>,
    ) -> Result<Page<Profile>, StoreError> {
        let mut items: Vec<Profile> = lock(&self.profiles)
            .values()
            .filter(|p| p.is_listed())
            .filter(|p| filter.category.as_ref().is_none_or(|c| p.fields.categories.contains(c)))
            .filter(|p| {
                let text = search_text(&format!("{} {}", p.fields.name.as_str(), p.fields.description));
                filter.words.iter().all(|w| text.contains(w.as_str()))
            })
            .cloned()
            .collect();
        items.sort_by_key(|p| search_text(p.fields.name.as_str()));
        Ok(Page { items, next_cursor: None })
    }
}

#[async_trait]
impl ApplicationStore for MemoryStore {
    async fn write_application(&self, w: ApplicationWrite<'_>) -> Result<(), StoreError> {
        let mut apps = lock(&self.applications);
        let mut clients = lock(&self.clients);
        let mut profiles = lock(&self.profiles);
        if apps.get(&w.after.id).map(|a| a.version) != w.before.map(|b| b.version) {
            return Err(StoreError::Stale(Stale::Application));
        }
        if let Some((before, after)) = w.client
            && clients.get(&after.id).map(|c| c.version) != before.map(|b| b.version)
        {
            return Err(StoreError::Stale(Stale::Client));
        }
        if let Some((before, _)) = w.profile
            && profiles.get(&before.id).map(|p| p.version) != Some(before.version)
        {
            return Err(StoreError::Stale(Stale::Profile));
        }
        apps.insert(w.after.id.clone(), w.after.clone());
        if let Some((_, after)) = w.client {
            clients.insert(after.id.clone(), after.clone());
        }
        if let Some((_, after)) = w.profile {
            profiles.insert(after.id.clone(), after.clone());
        }
        lock(&self.app_logs).extend(w.log.iter().map(|e| (w.after.id.clone(), e.clone())));
        self.record(w.change);
        Ok(())
    }
    async fn application(&self, partner: &PartnerId, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        Ok(lock(&self.applications).get(id).filter(|a| &a.partner_id == partner).cloned())
    }
    async fn application_by_id(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        Ok(lock(&self.applications).get(id).cloned())
    }
    async fn applications(&self, partner: &PartnerId) -> Result<Vec<Application>, StoreError> {
        let mut apps: Vec<_> =
            lock(&self.applications).values().filter(|a| &a.partner_id == partner).cloned().collect();
        apps.sort_by_key(|a| std::cmp::Reverse(a.created_at));
        Ok(apps)
    }
    async fn applications_by_status(
        &self,
        status: ApplicationStatus,
        _limit: u32,
        _cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError> {
        let mut apps: Vec<_> = lock(&self.applications).values().filter(|a| a.status == status).cloned().collect();
        apps.sort_by_key(|a| a.created_at);
        Ok(Page { items: apps, next_cursor: None })
    }
    async fn application_log(
        &self,
        _partner: &PartnerId,
        id: &ApplicationId,
        _limit: u32,
        _cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        let mut items: Vec<_> = lock(&self.app_logs).iter().filter(|(a, _)| a == id).map(|(_, e)| e.clone()).collect();
        items.reverse();
        Ok(Page { items, next_cursor: None })
    }
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(lock(&self.clients).get(id).cloned())
    }
    async fn write_client(
        &self,
        before: &Client,
        after: &Client,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut clients = lock(&self.clients);
        if clients.get(&before.id).map(|c| c.version) != Some(before.version) {
            return Err(StoreError::Stale(Stale::Client));
        }
        clients.insert(after.id.clone(), after.clone());
        if let Some(app) = &after.application_id {
            lock(&self.app_logs).extend(log.iter().map(|e| (app.clone(), e.clone())));
        }
        self.record(change);
        Ok(())
    }
    async fn application_context(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        client: Option<&ClientId>,
    ) -> Result<ApplicationContext, StoreError> {
        Ok(ApplicationContext {
            application: lock(&self.applications).get(id).filter(|a| &a.partner_id == partner).cloned(),
            profile: lock(&self.profiles).get(partner).cloned(),
            client: client.and_then(|c| lock(&self.clients).get(c).cloned()),
        })
    }
    async fn write_partner_suspension(
        &self,
        profile: (&Profile, &Profile),
        ids: &[ClientId],
        suspended: bool,
        _log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut clients = lock(&self.clients);
        let mut profiles = lock(&self.profiles);
        if profiles.get(&profile.0.id).map(|p| p.version) != Some(profile.0.version) {
            return Err(StoreError::Stale(Stale::Profile));
        }
        if ids.iter().any(|id| !clients.contains_key(id)) {
            return Err(StoreError::Stale(Stale::Client));
        }
        profiles.insert(profile.1.id.clone(), profile.1.clone());
        for id in ids {
            if let Some(client) = clients.get_mut(id) {
                client.partner_suspended = suspended;
                client.version += 1;
            }
        }
        self.record(change);
        Ok(())
    }
    async fn import_client(&self, client: &Client) -> Result<Imported, StoreError> {
        let mut clients = lock(&self.clients);
        if clients.contains_key(&client.id) {
            return Ok(Imported::Exists);
        }
        clients.insert(client.id.clone(), client.clone());
        Ok(Imported::Created)
    }
}

#[async_trait]
impl LogoStore for MemoryStore {
    async fn put_logo(&self, partner: &PartnerId, logo: &Logo, bytes: &[u8]) -> Result<(), StoreError> {
        lock(&self.logos).insert((partner.clone(), logo.id.clone()), bytes.to_vec());
        Ok(())
    }
    async fn logo(&self, partner: &PartnerId, logo: &Logo) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(lock(&self.logos).get(&(partner.clone(), logo.id.clone())).cloned())
    }
    async fn delete_logo(&self, partner: &PartnerId, logo: &Logo) -> Result<(), StoreError> {
        lock(&self.logos).remove(&(partner.clone(), logo.id.clone()));
        Ok(())
    }
}

#[async_trait]
impl Lookups for MemoryStore {
    async fn indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        if self.index_behind.load(Ordering::SeqCst) {
            return Ok(None);
        }
        Ok(lock(&self.applications).get(id).cloned())
    }
    // Invitations are not kept here (see `link` below).
    async fn invitation(&self, _hash: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        Ok(None)
    }
    async fn client_at_school(
        &self,
        id: &ClientId,
        institution: &Institution,
    ) -> Result<(Option<Client>, Option<SchoolAccess>), StoreError> {
        let client = lock(&self.clients).get(id).cloned();
        let access =
            lock(&self.school_access).iter().find(|a| &a.client_id == id && &a.institution == institution).cloned();
        Ok((client, access))
    }
}

#[async_trait]
impl MemberStore for MemoryStore {
    async fn put_invitation(
        &self,
        invitation: &Invitation,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
        lock(&self.profile_logs).extend(log.iter().map(|e| (invitation.partner_id.clone(), e.clone())));
        self.record(change);
        Ok(())
    }
    async fn link(&self, _hash: &TokenHash, _account: &Account, _now: DateTime<Utc>) -> Result<Linked, StoreError> {
        Ok(Linked::InvalidCode)
    }
    async fn members(&self, _partner: &PartnerId) -> Result<Vec<Member>, StoreError> {
        Ok(Vec::new())
    }
}

/// A user pool: users by email with their password and confirmation; `fail_confirm` makes
/// confirmation fail as an unreachable pool would.
#[derive(Default)]
pub struct MemoryIdentity {
    users: Mutex<HashMap<Email, (AccountId, String, bool)>>,
    pub fail_confirm: AtomicBool,
}

#[async_trait]
impl Sessions for MemoryIdentity {
    async fn sign_in(&self, email: &Email, password: &Password) -> Result<Session, IdentityError> {
        match lock(&self.users).get(email) {
            Some((_, p, true)) if p == password.expose() => Ok(Session {
                access_token: "a.b.c".into(),
                id_token: "a.b.c".into(),
                refresh_token: Some("r".into()),
                expires_in: 3600,
                token_type: "Bearer".into(),
            }),
            Some((_, p, false)) if p == password.expose() => Err(IdentityError::NotConfirmed),
            _ => Err(IdentityError::InvalidCredentials),
        }
    }
    async fn refresh(&self, _refresh_token: &str) -> Result<Session, IdentityError> {
        Err(IdentityError::InvalidCredentials)
    }
    async fn revoke(&self, _refresh_token: &str) -> Result<(), IdentityError> {
        Ok(())
    }
}

#[async_trait]
impl Identity for MemoryIdentity {
    async fn sign_up(&self, email: &Email, password: &Password) -> Result<AccountId, IdentityError> {
        let mut users = lock(&self.users);
        if users.contains_key(email) {
            return Err(IdentityError::AlreadyExists);
        }
        let id = AccountId::parse(&uuid::Uuid::new_v4().to_string()).ok_or(IdentityError::Unavailable("id".into()))?;
        users.insert(email.clone(), (id.clone(), password.expose().to_owned(), false));
        Ok(id)
    }
    async fn find_user(&self, email: &Email) -> Result<Option<PoolUser>, IdentityError> {
        Ok(lock(&self.users).get(email).map(|(id, _, confirmed)| PoolUser { id: id.clone(), confirmed: *confirmed }))
    }
    async fn confirm(&self, email: &Email) -> Result<(), IdentityError> {
        if self.fail_confirm.load(Ordering::SeqCst) {
            return Err(IdentityError::Unavailable("the pool is down".into()));
        }
        if let Some(user) = lock(&self.users).get_mut(email) {
            user.2 = true;
        }
        Ok(())
    }
    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError> {
        if let Some(user) = lock(&self.users).get_mut(email) {
            user.1 = password.expose().to_owned();
        }
        Ok(())
    }
    async fn sign_out_everywhere(&self, _email: &Email) -> Result<(), IdentityError> {
        Ok(())
    }
}

#[async_trait]
impl StaffResetStore for MemoryStore {
    async fn put_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError> {
        lock(&self.staff_resets).insert(token.hash.clone(), token.clone());
        lock(&self.staff_newest).insert(token.email.clone(), token.hash.clone());
        Ok(())
    }
    async fn take_staff_reset(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffResetToken>, StoreError> {
        let mut tokens = lock(&self.staff_resets);
        match tokens.get(hash) {
            Some(t) if t.is_valid_at(now) => Ok(tokens.remove(hash)),
            _ => Ok(None),
        }
    }
    async fn newest_staff_reset(&self, email: &Email) -> Result<Option<TokenHash>, StoreError> {
        Ok(lock(&self.staff_newest).get(email).cloned())
    }
    async fn restore_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError> {
        lock(&self.staff_resets).insert(token.hash.clone(), token.clone());
        Ok(())
    }
}

/// The staff pool: users by address with their groups and password; `signed_out` counts the
/// global sign-outs.
#[derive(Default)]
pub struct MemoryStaff {
    users: Mutex<HashMap<Email, (Vec<String>, String)>>,
    pub signed_out: Mutex<Vec<Email>>,
}

impl MemoryStaff {
    pub fn add(&self, email: &Email, groups: &[&str], password: &str) {
        lock(&self.users).insert(email.clone(), (groups.iter().map(|g| (*g).to_owned()).collect(), password.into()));
    }

    pub fn password(&self, email: &Email) -> Option<String> {
        lock(&self.users).get(email).map(|(_, p)| p.clone())
    }
}

#[async_trait]
impl StaffAccounts for MemoryStaff {
    async fn role(&self, email: &Email) -> Result<Option<StaffRole>, IdentityError> {
        Ok(lock(&self.users).get(email).map(|(groups, _)| StaffRole::of_groups(groups.iter().map(String::as_str))))
    }
    async fn set_password(&self, email: &Email, password: &Password) -> Result<(), IdentityError> {
        match lock(&self.users).get_mut(email) {
            Some(user) => {
                user.1 = password.expose().to_owned();
                Ok(())
            }
            None => Err(IdentityError::InvalidCredentials),
        }
    }
    async fn sign_out_everywhere(&self, email: &Email) -> Result<(), IdentityError> {
        lock(&self.signed_out).push(email.clone());
        Ok(())
    }
}

/// Keeps what it was asked to send; `fail` makes every send fail.
#[derive(Default)]
pub struct MemoryMailer {
    pub sent: Mutex<Vec<OutgoingMail>>,
    pub fail: AtomicBool,
}

impl MemoryMailer {
    pub fn sent(&self) -> Vec<OutgoingMail> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError("SES is down".into()));
        }
        lock(&self.sent).push(mail.clone());
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn token_client(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<TokenClient, StoreError> {
        let client = lock(&self.clients).get(id).cloned();
        Ok(TokenClient { client, failures: self.attempts(&format!("token#{id}"), now, window).await? })
    }
    async fn record_token_failure(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Attempts, StoreError> {
        self.record_failure(&format!("token#{id}"), now, window).await
    }
    async fn clear_token_failures(&self, id: &ClientId) -> Result<(), StoreError> {
        self.clear(&format!("token#{id}")).await
    }
    async fn use_assertion_once(
        &self,
        id: &ClientId,
        jti: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut used = lock(&self.used_assertions);
        let key = (id.clone(), jti.to_owned());
        if used.get(&key).is_some_and(|kept| *kept >= now) {
            return Ok(false);
        }
        used.insert(key, until);
        Ok(true)
    }
}

#[async_trait]
impl AccessStore for MemoryStore {
    async fn create_access_requests(
        &self,
        requests: &[AccessRequest],
        log: &[LogEntry],
        budget: &MailBudget,
        change: &Change,
    ) -> Result<RequestsStored, StoreError> {
        let Some(first) = requests.first() else { return Ok(RequestsStored::Yes) };
        if !lock(&self.profiles).get(&first.partner_id).is_some_and(|p| p.active) {
            return Ok(RequestsStored::PartnerInactive);
        }
        let mut counts = lock(&self.mail_counts);
        let mut mailed = lock(&self.mailed);
        let day = budget.day;
        let marker = |r: &AccessRequest| format!("{}#{day}#{}", r.application_id, r.email);
        let again: Vec<Email> =
            requests.iter().filter(|r| mailed.contains(&marker(r))).map(|r| r.email.clone()).collect();
        if !again.is_empty() {
            return Ok(RequestsStored::Limited(MailLimit::AlreadyMailed(again)));
        }
        let n = requests.len() as u32;
        let (app_key, partner_key) =
            (format!("APP#{}#{day}", first.application_id), format!("PARTNER#{}#{day}", first.partner_id));
        let (app_sent, partner_sent) =
            (counts.get(&app_key).copied().unwrap_or(0), counts.get(&partner_key).copied().unwrap_or(0));
        if app_sent + n > budget.per_application {
            let remaining = budget.per_application.saturating_sub(app_sent);
            return Ok(RequestsStored::Limited(MailLimit::Application { remaining }));
        }
        if partner_sent + n > budget.per_partner {
            let remaining = budget.per_partner.saturating_sub(partner_sent);
            return Ok(RequestsStored::Limited(MailLimit::Partner { remaining }));
        }
        counts.insert(app_key, app_sent + n);
        counts.insert(partner_key, partner_sent + n);
        mailed.extend(requests.iter().map(marker));
        lock(&self.access_requests).extend(requests.iter().cloned());
        lock(&self.app_logs).extend(log.iter().map(|e| (first.application_id.clone(), e.clone())));
        self.record(change);
        Ok(RequestsStored::Yes)
    }
    async fn append_application_log(
        &self,
        _: &PartnerId,
        app: &ApplicationId,
        log: &[LogEntry],
    ) -> Result<(), StoreError> {
        lock(&self.app_logs).extend(log.iter().map(|e| (app.clone(), e.clone())));
        Ok(())
    }
    async fn access_request(&self, hash: &TokenHash) -> Result<Option<AccessRequest>, StoreError> {
        Ok(lock(&self.access_requests).iter().find(|r| &r.token_hash == hash).cloned())
    }
    async fn access_requests(&self, app: &ApplicationId) -> Result<Vec<AccessRequest>, StoreError> {
        Ok(lock(&self.access_requests).iter().filter(|r| &r.application_id == app).cloned().collect())
    }
    async fn write_access(&self, w: AccessWrite<'_>) -> Result<(), StoreError> {
        let mut clients = lock(&self.clients);
        let mut requests = lock(&self.access_requests);
        if clients.get(&w.client.1.id).map(|c| c.version) != Some(w.client.0.version) {
            return Err(StoreError::Stale(Stale::Client));
        }
        if let Some((before, _)) = w.request
            && requests.iter().find(|r| r.id == before.id).map(|r| r.version) != Some(before.version)
        {
            return Err(StoreError::Stale(Stale::Application));
        }
        clients.insert(w.client.1.id.clone(), w.client.1.clone());
        if let Some((_, after)) = w.request {
            requests.retain(|r| r.id != after.id);
            requests.push(after.clone());
        }
        let mut all = lock(&self.school_access);
        match w.school {
            SchoolIndex::Put(school) => {
                all.retain(|a| !(a.client_id == school.client_id && a.institution == school.institution));
                all.push(school.clone());
            }
            SchoolIndex::Remove(institution) => {
                all.retain(|a| !(a.client_id == w.client.1.id && &a.institution == institution));
            }
        }
        drop(all);
        lock(&self.app_logs).extend(w.log.2.iter().map(|e| (w.log.1.clone(), e.clone())));
        self.record(w.change);
        Ok(())
    }
    async fn school_access(&self, institution: &Institution) -> Result<Vec<SchoolAccess>, StoreError> {
        Ok(lock(&self.school_access).iter().filter(|a| &a.institution == institution).cloned().collect())
    }
    async fn client_access(&self, client: &ClientId) -> Result<Vec<SchoolAccess>, StoreError> {
        Ok(lock(&self.school_access).iter().filter(|a| &a.client_id == client).cloned().collect())
    }
    async fn clients(&self, ids: &[ClientId]) -> Result<Vec<Client>, StoreError> {
        let clients = lock(&self.clients);
        Ok(ids.iter().filter_map(|id| clients.get(id).cloned()).collect())
    }
    async fn applications_by_keys(&self, keys: &[(PartnerId, ApplicationId)]) -> Result<Vec<Application>, StoreError> {
        let apps = lock(&self.applications);
        Ok(keys.iter().filter_map(|(_, id)| apps.get(id).cloned()).collect())
    }
    async fn expiring(
        &self,
        day: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Vec<AccessRequest>, u64), StoreError> {
        let found: Vec<AccessRequest> = lock(&self.access_requests)
            .iter()
            .filter(|r| {
                r.status == AccessRequestStatus::Pending && r.expires_at.date_naive() == day && r.expires_at <= now
            })
            .cloned()
            .collect();
        let read = found.len() as u64;
        Ok((found, read))
    }
    async fn expire(&self, request: &AccessRequest, log: &LogEntry, change: &Change) -> Result<bool, StoreError> {
        let mut requests = lock(&self.access_requests);
        let Some(stored) = requests.iter_mut().find(|r| r.id == request.id && r.status == AccessRequestStatus::Pending)
        else {
            return Ok(false);
        };
        stored.status = AccessRequestStatus::Expired;
        stored.version += 1;
        lock(&self.app_logs).push((request.application_id.clone(), log.clone()));
        self.record(change);
        Ok(true)
    }
}

/// An ES256 signer with a key in memory, standing in for KMS.
pub struct LocalSigner {
    key: p256::ecdsa::SigningKey,
}

impl LocalSigner {
    pub fn generate() -> Self {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("no randomness: {e}"));
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                return Self { key };
            }
        }
    }

    pub fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        *self.key.verifying_key()
    }
}

#[async_trait]
impl TokenSigner for LocalSigner {
    async fn public_jwk(&self) -> Result<SigningJwk, SignerError> {
        Ok(SigningJwk::p256(&p256::PublicKey::from(self.key.verifying_key())))
    }
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignerError> {
        use p256::ecdsa::signature::Signer as _;
        let signature: p256::ecdsa::Signature = self.key.sign(signing_input);
        Ok(signature.to_bytes().to_vec())
    }
}

pub struct Fakes {
    pub store: Arc<MemoryStore>,
    pub identity: Arc<MemoryIdentity>,
    pub staff: Arc<MemoryStaff>,
    pub mailer: Arc<MemoryMailer>,
    pub deps: Deps,
}

pub fn fakes() -> Fakes {
    let store = Arc::new(MemoryStore::default());
    let identity = Arc::new(MemoryIdentity::default());
    let mailer = Arc::new(MemoryMailer::default());
    let staff = Arc::new(MemoryStaff::default());
    let config = Config {
        table_name: "t".into(),
        partner_user_pool_id: "p".into(),
        partner_client_id: "c".into(),
        staff_client_id: "s".into(),
        staff_user_pool_id: "sp".into(),
        portal_url: "https://portal.test".into(),
        mail_from_accounts: Email::parse("from", "info@informat.be").unwrap_or_else(|e| panic!("{e}")),
        logo_bucket: "logos".into(),
        public_api_url: "https://api.test".into(),
        signing_key_id: "test-key".into(),
        mail_from_access: Email::parse("from", "noreply@informatsoftware.be").unwrap_or_else(|e| panic!("{e}")),
        backoffice_url: "https://backoffice.test".into(),
        token_audience: crate::config::DEFAULT_TOKEN_AUDIENCE.into(),
        token_lifetime_seconds: 3600,
        origin_verify_secret: None,
        informat_idp: crate::config::InformatIdp {
            issuer: "https://login.informat.test".into(),
            rights_claim: crate::config::DEFAULT_RIGHTS_CLAIM.into(),
            email_claim: crate::config::DEFAULT_EMAIL_CLAIM.into(),
        },
    };
    let deps = Deps {
        config,
        accounts: store.clone(),
        attempts: store.clone(),
        profiles: store.clone(),
        members: store.clone(),
        logos: store.clone(),
        applications: store.clone(),
        tokens: store.clone(),
        access: store.clone(),
        lookups: store.clone(),
        signer: Arc::new(LocalSigner::generate()),
        identity: identity.clone(),
        staff_sessions: Arc::new(MemoryIdentity::default()),
        staff_accounts: staff.clone(),
        staff_resets: store.clone(),
        mailer: mailer.clone(),
        clock: Arc::new(SystemClock),
    };
    Fakes { store, identity, staff, mailer, deps }
}

/// Profile fields that pass every rule, under the name `name`.
pub fn profile_fields(name: &str) -> ProfileFields {
    ProfileFields {
        name: ProfileName::parse(name).expect("name"),
        enterprise_number: None,
        description: "Planning voor scholen".into(),
        contact_name: "An".into(),
        address: Address::parse("Kerkstraat 1", "2000", "Antwerpen", "BE").expect("address"),
        public: true,
        categories: categories(&["hrm".into()]).expect("categories"),
        website: Website::parse("https://voorbeeld.be").expect("website"),
        extra_info: None,
    }
}

fn test_email(raw: &str) -> Email {
    Email::parse("email", raw).unwrap_or_else(|e| panic!("{e}"))
}

/// A signed-in partner with a profile, and the profile.
pub async fn partner(f: &Fakes, name: &str) -> (Caller, Profile) {
    let id = AccountId::parse(&uuid::Uuid::new_v4().to_string()).expect("id");
    let now = Utc::now();
    let account = Account {
        id: id.clone(),
        email: test_email(&format!("{}@voorbeeld.be", id.as_str())),
        status: AccountStatus::Active,
        created_at: now,
        activated_at: Some(now),
        partner_id: None,
        terms: None,
        sessions_valid_from: None,
        reset_token: None,
    };
    let (_, token) =
        OneTimeToken::issue(TokenPurpose::Activation, id.clone(), account.email.clone(), now).expect("random");
    f.store.create_account(&account, &token).await.expect("account");
    let caller = Caller { account: id, issued_at: now };
    let fields = profile_fields(name);
    let profile = crate::operations::profiles::create_profile(&f.deps, &caller, fields).await.expect("profile");
    (caller, profile)
}

/// The partner's application, approved: its id and client id.
pub async fn approved(f: &Fakes, caller: &Caller) -> (String, ClientId) {
    let fields = ApplicationFields {
        name: "Lessenplanner".into(),
        description: "Plant lessen.".into(),
        contact_name: "Tom".into(),
        contact_email: test_email("tom@ontwikkelaar.be"),
        apis: [Api::Leerlingen].into(),
    };
    let app = create_application(&f.deps, caller, fields, None).await.expect("created");
    let app = approve_application(&f.deps, &app.id.to_string()).await.expect("approved");
    (app.id.to_string(), app.client_id.expect("a client id"))
}
