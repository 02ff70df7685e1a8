//! The single table. Item keys (PK / SK):
//!
//! | item | PK | SK | notes |
//! |---|---|---|---|
//! | account | `ACCOUNT#<sub>` | `ACCOUNT` | email, status, created_at, activated_at, terms (version, accepted_at), sessions_valid_from, reset_token (hash of the newest reset token) |
//! | email guard | `EMAIL#<email>` | `EMAIL` | account_id; makes the address unique |
//! | single-use token | `TOKEN#<sha256>` | `TOKEN` | purpose, account, expires_at, `ttl` |
//! | failed attempts | `ATTEMPTS#<key>` | `ATTEMPTS` | failures, window start, `ttl` |
//! | counted uses | `USES#<key>` | `USES` | `use0`..: the epoch seconds of the last uses (mails sent to an address), `ttl` |
//! | partner profile | `PARTNER#<id>` | `PROFILE` | the profile (map `profile`), `name_key`; while listed also `GSI2PK` = `DIRECTORY`, `GSI2SK` = `<folded name>#<id>` |
//! | profile member | `PARTNER#<id>` | `MEMBER#<sub>` | a linked account: email, linked_at |
//! | name guard | `PROFILENAME#<name key>` | `PROFILENAME` | partner_id; makes the name unique |
//! | slug guard | `SLUG#<slug>` | `SLUG` | partner_id; makes the public URL unique |
//! | invitation code | `INVITATION#<sha256>` | `INVITATION` | partner_id, invited_by, expires, `ttl` |
//! | profile log | `PARTNER#<id>` | `LOG#<time>#<nn>` | one LogEntry (map `entry`); newest first by a reverse Query |
//! | application | `PARTNER#<id>` | `APP#<app id>` | map `application`, `version`; `GSI1PK` = `APPSTATUS#<status>`, `GSI1SK` = `<created_at>#<app id>` (the review queue); `GSI3PK` = `APP#<app id>` (moderators find it by id) |
//! | application log | `PARTNER#<id>` | `APPLOG#<app id>#<time>#<nn>` | one LogEntry |
//! | client | `CLIENT#<client id>` | `CLIENT` | map `client` (secret hashes, public keys, scopes, APIs, active), `version`, `application_id`: everything the token endpoint reads, in one item |
//! | token failures | `CLIENT#<client id>` | `CLIENT#FAILURES` | failed client authentications at the token endpoint: failures, window start, `ttl`; read with the client by one Query (`SK` begins with `CLIENT`) |
//! | used assertion | `CLIENT#<client id>` | `JTI#<sha256 of jti>` | a `private_key_jwt` assertion seen, kept until it expires (`ttl`) so it is not accepted twice |
//!
//! Indexes: GSI1 is the review queue (applications by status, oldest first); GSI3 finds an
//! application by its id alone. GSI2 is the public directory. It is sparse: a profile carries its keys only while
//! it is listed (`Profile::is_listed`), and every write of a profile rewrites the whole item, so
//! whatever changes the listing (an edit, a logo, an approval, a deactivation) updates the index
//! in the same write.
//!
//! Every operation is one GetItem, one conditional write or one TransactWriteItems; lists are
//! Queries on one partition.

mod access;
mod applications;
mod batch;
mod tokens;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AcceptedTerms, Account, AccountId, AccountStatus, Email, LogEntry, OneTimeToken, PartnerId, Profile, TokenHash,
    TokenPurpose, search_text,
};
use crate::ports::{
    AccountStore, AttemptStore, Attempts, Created, DirectoryFilter, Page, ProfileCreated, ProfileStore, ProfileUpdated,
    Resubmission, Stale, StoreError,
};

type Item = HashMap<String, AttributeValue>;

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.map(from_item).transpose()
    }

    /// One PutItem, optionally conditional.
    async fn put_one(&self, item: Item, condition: Option<&str>) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The items with these keys that exist (BatchGetItem: up to 100 keys a call; unprocessed
    /// keys are asked for again).
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut request = Some(
                aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?,
            );
            for _ in 0..5 {
                let Some(keys) = request.take() else { break };
                let out =
                    self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(unavailable)?;
                found.extend(out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
                request = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table));
            }
            if request.is_some() {
                return Err(StoreError::Unavailable("keys stayed unprocessed after retries".into()));
            }
        }
        Ok(found)
    }

    /// Counts one failure in the item `pk`/`sk`: in the window that is open, or in a new one that
    /// starts `now`. The sign-in throttle and the token endpoint's both count this way.
    async fn count_failure(
        &self,
        pk: String,
        sk: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Attempts, StoreError> {
        // Count in the open window, if there is one ...
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self::key(pk.clone(), sk)))
            .update_expression("ADD failures :one")
            .condition_expression("attribute_exists(PK) AND window_started_epoch > :cutoff")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":cutoff", AttributeValue::N((now - window).timestamp().to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match counted {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| StoreError::Corrupt("no attributes returned".into()))?;
                return Ok(from_item::<AttemptsItem>(item)?.attempts());
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(unavailable(e)),
        }
        // ... or open a new one.
        let item = AttemptsItem {
            pk,
            sk: sk.into(),
            entity: "attempts".into(),
            failures: 1,
            window_started_epoch: now.timestamp(),
            ttl: ttl(now + window),
        };
        self.put_one(to_item(&item)?, None).await?;
        Ok(item.attempts())
    }

    /// The transaction step that links an account to a partner, only if it is not linked yet.
    fn link_account(&self, account: &AccountId, partner: &PartnerId) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(account), "ACCOUNT")))
            .update_expression("SET partner_id = :partner")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(partner_id)")
            .expression_attribute_values(":partner", AttributeValue::S(partner.to_string()))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// One page of the log entries under `prefix` in partition `pk`, newest first. The cursor is
    /// the last SK of the previous page; it must lie under the same prefix, and the partition is
    /// always the caller's.
    async fn log_page(
        &self,
        pk: String,
        prefix: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        let start = match cursor {
            None => None,
            Some(raw) => {
                let sk = URL_SAFE_NO_PAD
                    .decode(raw)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|sk| sk.starts_with(prefix))
                    .ok_or(StoreError::InvalidCursor)?;
                Some(key(pk.clone(), &sk))
            }
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :log)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":log", AttributeValue::S(prefix.to_owned()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<LogItem>(item).map(|i| i.entry))
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = out
            .last_evaluated_key
            .and_then(|k| k.get("SK").and_then(|v| v.as_s().ok()).map(|sk| URL_SAFE_NO_PAD.encode(sk)));
        Ok(Page { items, next_cursor })
    }

    /// A Put that expects `version` to be the stored one, or no item at all when `None`.
    fn put_versioned(&self, item: Item, version: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        put = match version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(v.to_string())),
        };
        let put = put.build().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), AttributeValue::S(pk)), ("SK".to_owned(), AttributeValue::S(sk.to_owned()))])
}

fn unavailable<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn account_pk(id: &AccountId) -> String {
    format!("ACCOUNT#{id}")
}
fn email_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}
fn token_pk(hash: &TokenHash) -> String {
    format!("TOKEN#{}", hash.as_str())
}
fn attempts_pk(key: &str) -> String {
    format!("ATTEMPTS#{key}")
}

/// DynamoDB deletes items some time after their `ttl` (epoch seconds); reads check expiry anyway.
fn ttl(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

#[derive(Serialize, Deserialize)]
struct AccountItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    id: AccountId,
    email: Email,
    status: AccountStatus,
    created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    partner_id: Option<PartnerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    terms: Option<AcceptedTerms>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sessions_valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reset_token: Option<TokenHash>,
}

impl From<&Account> for AccountItem {
    fn from(a: &Account) -> Self {
        Self {
            pk: account_pk(&a.id),
            sk: "ACCOUNT".into(),
            entity: "account".into(),
            id: a.id.clone(),
            email: a.email.clone(),
            status: a.status,
            created_at: a.created_at,
            activated_at: a.activated_at,
            partner_id: a.partner_id.clone(),
            terms: a.terms.clone(),
            sessions_valid_from: a.sessions_valid_from,
            reset_token: a.reset_token.clone(),
        }
    }
}

impl From<AccountItem> for Account {
    fn from(i: AccountItem) -> Self {
        Self {
            id: i.id,
            email: i.email,
            status: i.status,
            created_at: i.created_at,
            activated_at: i.activated_at,
            partner_id: i.partner_id,
            terms: i.terms,
            sessions_valid_from: i.sessions_valid_from,
            reset_token: i.reset_token,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct EmailGuardItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    account_id: AccountId,
}

#[derive(Serialize, Deserialize)]
struct TokenItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    hash: TokenHash,
    purpose: TokenPurpose,
    account_id: AccountId,
    email: Email,
    expires_at: DateTime<Utc>,
    expires_epoch: i64,
    ttl: i64,
}

impl From<&OneTimeToken> for TokenItem {
    fn from(t: &OneTimeToken) -> Self {
        Self {
            pk: token_pk(&t.hash),
            sk: "TOKEN".into(),
            entity: "token".into(),
            hash: t.hash.clone(),
            purpose: t.purpose,
            account_id: t.account_id.clone(),
            email: t.email.clone(),
            expires_at: t.expires_at,
            expires_epoch: t.expires_at.timestamp(),
            ttl: ttl(t.expires_at),
        }
    }
}

impl From<TokenItem> for OneTimeToken {
    fn from(i: TokenItem) -> Self {
        Self { hash: i.hash, purpose: i.purpose, account_id: i.account_id, email: i.email, expires_at: i.expires_at }
    }
}

#[derive(Serialize, Deserialize)]
struct AttemptsItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    failures: u32,
    window_started_epoch: i64,
    ttl: i64,
}

impl AttemptsItem {
    fn attempts(&self) -> Attempts {
        Attempts {
            failures: self.failures,
            window_started_at: DateTime::from_timestamp(self.window_started_epoch, 0).unwrap_or_default(),
        }
    }
}

fn purpose_name(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Activation => "activation",
        TokenPurpose::PasswordReset => "password_reset",
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_account(&self, account: &Account, activation: &OneTimeToken) -> Result<Created, StoreError> {
        let guard = EmailGuardItem {
            pk: email_pk(&account.email),
            sk: "EMAIL".into(),
            entity: "email_guard".into(),
            account_id: account.id.clone(),
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put(to_item(&guard)?, Some("attribute_not_exists(PK)"))?)
            .transact_items(self.put(to_item(&AccountItem::from(account))?, Some("attribute_not_exists(PK)"))?)
            .transact_items(self.put(to_item(&TokenItem::from(activation))?, None)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Created::Yes),
            // The email guard and the account are conditional; either failing means the address is taken.
            Err(e) if failed_conditions(&e).is_some_and(|failed| failed.contains(&true)) => Ok(Created::EmailTaken),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.get::<AccountItem>(account_pk(id), "ACCOUNT").await?.map(Account::from))
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        match self.get::<EmailGuardItem>(email_pk(email), "EMAIL").await? {
            Some(guard) => self.account(&guard.account_id).await,
            None => Ok(None),
        }
    }

    async fn activate(&self, id: &AccountId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .update_expression("SET #status = :active, activated_at = if_not_exists(activated_at, :at)")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", AttributeValue::S("active".into()))
            .expression_attribute_values(
                ":at",
                AttributeValue::S(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        self.put_one(to_item(&TokenItem::from(token))?, None).await
    }

    async fn put_reset_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        let newest = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&token.account_id), "ACCOUNT")))
            .update_expression("SET reset_token = :hash")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":hash", AttributeValue::S(token.hash.as_str().to_owned()))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.client
            .transact_write_items()
            .transact_items(self.put(to_item(&TokenItem::from(token))?, None)?)
            .transact_items(TransactWriteItem::builder().update(newest).build())
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn end_sessions(&self, id: &AccountId, from: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .update_expression("SET sessions_valid_from = :from")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(
                ":from",
                AttributeValue::S(from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn take_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(hash), "TOKEN")))
            .condition_expression("attribute_exists(PK) AND purpose = :purpose AND expires_epoch > :now")
            .expression_attribute_values(":purpose", AttributeValue::S(purpose_name(purpose).into()))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes.map(|item| from_item::<TokenItem>(item).map(OneTimeToken::from)).transpose(),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl AttemptStore for DynamoStore {
    async fn attempts(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Option<Attempts>, StoreError> {
        let item = self.get::<AttemptsItem>(attempts_pk(key), "ATTEMPTS").await?;
        Ok(item.map(|i| i.attempts()).filter(|a| now < a.window_started_at + window))
    }

    async fn record_failure(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Attempts, StoreError> {
        self.count_failure(attempts_pk(key), "ATTEMPTS", now, window).await
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self::key(attempts_pk(key), "ATTEMPTS")))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn attempts_of(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Vec<Option<Attempts>>, StoreError> {
        let found = self.batch_get(keys.iter().map(|k| key(attempts_pk(k), "ATTEMPTS")).collect()).await?;
        let mut by_pk = HashMap::new();
        for item in found {
            let item = from_item::<AttemptsItem>(item)?;
            by_pk.insert(item.pk.clone(), item.attempts());
        }
        Ok(keys
            .iter()
            .map(|k| by_pk.get(&attempts_pk(k)).copied().filter(|a| now < a.window_started_at + window))
            .collect())
    }

    async fn take_use(&self, key: &str, now: DateTime<Utc>, window: Duration, max: u32) -> Result<bool, StoreError> {
        // `max` slots, each the time of one use. A slot is free when it is empty or its use left
        // the window: then fewer than `max` uses fall in the window, and overwriting it drops
        // only a use that no later window counts either. Each try is one conditional write.
        for slot in 0..max {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self::key(format!("USES#{key}"), "USES")))
                .update_expression("SET #slot = :now, entity = :entity, #ttl = :ttl")
                .condition_expression("attribute_not_exists(#slot) OR #slot <= :cutoff")
                .expression_attribute_names("#slot", format!("use{slot}"))
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
                .expression_attribute_values(":cutoff", AttributeValue::N((now - window).timestamp().to_string()))
                .expression_attribute_values(":entity", AttributeValue::S("uses".into()))
                .expression_attribute_values(":ttl", AttributeValue::N(ttl(now + window).to_string()))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(true),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(false)
    }
}

impl DynamoStore {
    /// Runs a transaction whose first items are the versioned `parts`, in that order: a failed
    /// condition on one of them names what was no longer as the caller read it.
    async fn transact_versioned(
        &self,
        items: Vec<TransactWriteItem>,
        parts: &[crate::ports::Stale],
    ) -> Result<Result<(), crate::ports::Stale>, StoreError> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Ok(())),
            Err(e) => match failed_conditions(&e)
                .and_then(|failed| failed.iter().zip(parts).find(|(failed, _)| **failed).map(|(_, part)| *part))
            {
                Some(part) => Ok(Err(part)),
                None => Err(unavailable(e)),
            },
        }
    }
}

/// Which items of a cancelled transaction failed their condition, in request order; `None` when
/// the transaction failed for another reason.
fn failed_conditions(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, impl std::fmt::Debug>,
) -> Option<Vec<bool>> {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return None;
    };
    let reasons = cancelled.cancellation_reasons();
    if !reasons.is_empty() {
        return Some(reasons.iter().map(|r| r.code() == Some("ConditionalCheckFailed")).collect());
    }
    // Some emulators put the reasons only in the message: "... [ConditionalCheckFailed, None]".
    let message = cancelled.message().unwrap_or_default();
    let list = message.rsplit_once('[').and_then(|(_, rest)| rest.split_once(']')).map(|(list, _)| list)?;
    Some(list.split(',').map(|r| r.trim() == "ConditionalCheckFailed").collect())
}

fn partner_pk(id: &PartnerId) -> String {
    format!("PARTNER#{id}")
}

/// The partition of the directory index (GSI2): every listed profile, and nothing else.
const DIRECTORY: &str = "DIRECTORY";

#[derive(Serialize, Deserialize)]
struct ProfileItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    name_key: String,
    /// The profile's version, at the top level so conditions can name it.
    version: u64,
    /// The directory index's keys and the attributes its filters read: present only while the
    /// profile is listed, so GSI2 is sparse and holds exactly the directory.
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    /// Name and description, folded by `search_text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directory_text: Option<String>,
    /// The category codes between spaces (" communiceren hrm "), so `contains` matches whole codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directory_categories: Option<String>,
    profile: Profile,
}

impl ProfileItem {
    fn new(profile: &Profile) -> Self {
        let listed = profile.is_listed();
        let fields = &profile.fields;
        Self {
            pk: partner_pk(&profile.id),
            sk: "PROFILE".into(),
            entity: "profile".into(),
            name_key: fields.name.key(),
            version: profile.version,
            gsi2pk: listed.then(|| DIRECTORY.to_owned()),
            gsi2sk: listed.then(|| directory_sort_key(profile)),
            directory_text: listed.then(|| search_text(&format!("{} {}", fields.name.as_str(), fields.description))),
            directory_categories: listed
                .then(|| format!(" {} ", fields.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" "))),
            profile: profile.clone(),
        }
    }
}

/// Orders the directory by name (folded, so "École" sorts with "e"); the id keeps keys unique.
fn directory_sort_key(profile: &Profile) -> String {
    format!("{}#{}", search_text(profile.fields.name.as_str()), profile.id)
}

/// The directory index's key of a listed profile: where the next page continues.
fn directory_key(profile: &Profile) -> Item {
    let mut start = key(partner_pk(&profile.id), "PROFILE");
    start.insert("GSI2PK".into(), AttributeValue::S(DIRECTORY.into()));
    start.insert("GSI2SK".into(), AttributeValue::S(directory_sort_key(profile)));
    start
}

/// Whether a cursor's key is a directory key: the index's partition, a profile, and a sort key
/// that ends with that profile's id.
fn is_directory_key(k: &Item) -> bool {
    let partner = s(k, "PK").strip_prefix("PARTNER#").filter(|id| PartnerId::parse(id).is_some());
    k.len() == 4
        && s(k, "GSI2PK") == DIRECTORY
        && s(k, "SK") == "PROFILE"
        && partner.is_some_and(|id| s(k, "GSI2SK").ends_with(&format!("#{id}")))
}

/// Encodes the last key of a Query page as an opaque cursor, and reads it back (checking that
/// it names an item of the same list).
fn cursor_of(last: Option<Item>) -> Option<String> {
    let last = last?;
    let json: serde_json::Map<String, serde_json::Value> = last
        .into_iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k, serde_json::Value::String(s.clone()))))
        .collect();
    serde_json::to_vec(&json).ok().map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

fn start_of(cursor: Option<&str>, expect: impl Fn(&Item) -> bool) -> Result<Option<Item>, StoreError> {
    let Some(raw) = cursor else { return Ok(None) };
    let map: serde_json::Map<String, serde_json::Value> = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(StoreError::InvalidCursor)?;
    let item: Item = map
        .into_iter()
        .map(|(k, v)| v.as_str().map(|s| (k, AttributeValue::S(s.to_owned()))).ok_or(StoreError::InvalidCursor))
        .collect::<Result<_, _>>()?;
    if expect(&item) { Ok(Some(item)) } else { Err(StoreError::InvalidCursor) }
}

fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s().ok()).map_or("", String::as_str)
}

#[derive(Serialize, Deserialize)]
struct LogItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    entry: LogEntry,
}

fn log_items(pk: &str, log: &[LogEntry]) -> Vec<LogItem> {
    log.iter()
        .enumerate()
        .map(|(n, entry)| LogItem {
            pk: pk.to_owned(),
            // Read newest first (a reverse Query); entries of one change keep their order, so
            // the suffix counts down. The random tail keeps two writes at the same instant (a
            // job's run, say) from overwriting each other.
            sk: format!(
                "LOG#{}#{:02}#{}",
                entry.at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                99 - n.min(99),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            entity: "log".into(),
            entry: entry.clone(),
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct GuardItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    partner_id: PartnerId,
}

#[derive(Serialize, Deserialize)]
struct MemberItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    account_id: AccountId,
    email: Email,
    linked_at: DateTime<Utc>,
}

impl DynamoStore {
    /// Replaces `before` by `after` (conditional on its version), moves the name guard when the
    /// name changed, writes the log, and writes each application in `applications` (conditional
    /// on its version) with its log: one transaction. DynamoDB takes up to 100 items in one.
    async fn write_profile(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
    ) -> Result<Result<ProfileUpdated, Stale>, StoreError> {
        let pk = partner_pk(&after.id);
        let mut items = vec![self.put_versioned(to_item(&ProfileItem::new(after))?, Some(before.version))?];
        let (old_key, new_key) = (before.fields.name.key(), after.fields.name.key());
        let renamed = old_key != new_key;
        if renamed {
            // Release the old name (only if it is still ours) and take the new one.
            let release = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(format!("PROFILENAME#{old_key}"), "PROFILENAME")))
                .condition_expression("partner_id = :me")
                .expression_attribute_values(":me", AttributeValue::S(after.id.to_string()))
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let guard = GuardItem {
                pk: format!("PROFILENAME#{new_key}"),
                sk: "PROFILENAME".into(),
                entity: "name_guard".into(),
                partner_id: after.id.clone(),
            };
            items.push(TransactWriteItem::builder().delete(release).build());
            items.push(self.put(to_item(&guard)?, Some("attribute_not_exists(PK)"))?);
        }
        for item in log_items(&pk, log) {
            items.push(self.put(to_item(&item)?, None)?);
        }
        // Where the applications' versioned puts are in the transaction.
        let mut application_items = Vec::new();
        for r in applications {
            application_items.push(items.len());
            items.extend(self.resubmit_items(r)?);
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Ok(ProfileUpdated::Yes)),
            Err(e) => match failed_conditions(&e).as_deref() {
                Some([true, ..]) => Ok(Ok(ProfileUpdated::VersionConflict)),
                Some([_, _, true, ..]) if renamed => Ok(Ok(ProfileUpdated::NameTaken)),
                Some(failed) if application_items.iter().any(|&n| failed.get(n) == Some(&true)) => {
                    Ok(Err(Stale::Application))
                }
                _ => Err(unavailable(e)),
            },
        }
    }
}

#[async_trait]
impl ProfileStore for DynamoStore {
    async fn create_profile(
        &self,
        profile: &Profile,
        creator: &Account,
        log: &[LogEntry],
    ) -> Result<ProfileCreated, StoreError> {
        let name_key = profile.fields.name.key();
        let item = ProfileItem::new(profile);
        let guard = |pk: String, sk: &str, entity: &str| GuardItem {
            pk,
            sk: sk.into(),
            entity: entity.into(),
            partner_id: profile.id.clone(),
        };
        let member = MemberItem {
            pk: partner_pk(&profile.id),
            sk: format!("MEMBER#{}", creator.id),
            entity: "member".into(),
            account_id: creator.id.clone(),
            email: creator.email.clone(),
            linked_at: profile.created_at,
        };
        let link = self.link_account(&creator.id, &profile.id)?;
        let absent = Some("attribute_not_exists(PK)");
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(self.put(to_item(&item)?, absent)?)
            .transact_items(
                self.put(to_item(&guard(format!("PROFILENAME#{name_key}"), "PROFILENAME", "name_guard"))?, absent)?,
            )
            .transact_items(self.put(to_item(&guard(format!("SLUG#{}", profile.slug), "SLUG", "slug_guard"))?, absent)?)
            .transact_items(link)
            .transact_items(self.put(to_item(&member)?, absent)?);
        for item in log_items(&partner_pk(&profile.id), log) {
            request = request.transact_items(self.put(to_item(&item)?, None)?);
        }
        let result = request.send().await;
        match result {
            Ok(_) => Ok(ProfileCreated::Yes),
            Err(e) => match failed_conditions(&e).as_deref() {
                Some([_, true, ..]) => Ok(ProfileCreated::NameTaken),
                Some([_, _, _, true, ..]) => Ok(ProfileCreated::AccountAlreadyLinked),
                Some([_, _, true, ..]) => Ok(ProfileCreated::SlugTaken),
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn profile(&self, id: &PartnerId) -> Result<Option<Profile>, StoreError> {
        Ok(self.get::<ProfileItem>(partner_pk(id), "PROFILE").await?.map(|i| i.profile))
    }

    async fn update_profile_resubmitting(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
    ) -> Result<Result<ProfileUpdated, Stale>, StoreError> {
        self.write_profile(before, after, log, applications).await
    }

    async fn profile_log(
        &self,
        id: &PartnerId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        self.log_page(partner_pk(id), "LOG#", limit, cursor).await
    }

    async fn profiles(&self, ids: &[PartnerId]) -> Result<Vec<Profile>, StoreError> {
        let mut unique: Vec<&PartnerId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let keys = unique.iter().map(|id| key(partner_pk(id), "PROFILE")).collect();
        self.batch_get(keys).await?.into_iter().map(|item| Ok(from_item::<ProfileItem>(item)?.profile)).collect()
    }

    async fn profile_by_slug(&self, slug: &str) -> Result<Option<Profile>, StoreError> {
        match self.get::<GuardItem>(format!("SLUG#{slug}"), "SLUG").await? {
            Some(guard) => self.profile(&guard.partner_id).await,
            None => Ok(None),
        }
    }

    async fn directory(
        &self,
        filter: &DirectoryFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Profile>, StoreError> {
        let mut start = start_of(cursor, is_directory_key)?;
        // The filter only ever reads listed profiles (the index is sparse). Without a filter one
        // Query reads the page and one more item, to know whether a next page exists.
        let mut conditions = Vec::new();
        let mut values = HashMap::from([(":dir".to_owned(), AttributeValue::S(DIRECTORY.into()))]);
        if let Some(category) = &filter.category {
            conditions.push("contains(directory_categories, :category)".to_owned());
            values.insert(":category".into(), AttributeValue::S(format!(" {} ", category.as_str())));
        }
        for (n, word) in filter.words.iter().enumerate() {
            conditions.push(format!("contains(directory_text, :w{n})"));
            values.insert(format!(":w{n}"), AttributeValue::S(word.clone()));
        }
        let wanted = usize::try_from(limit).unwrap_or(100);
        let per_request = if conditions.is_empty() { limit + 1 } else { (limit + 1).max(100) };
        let mut found: Vec<ProfileItem> = Vec::new();
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("GSI2")
                .key_condition_expression("GSI2PK = :dir")
                .set_filter_expression((!conditions.is_empty()).then(|| conditions.join(" AND ")))
                .set_expression_attribute_values(Some(values.clone()))
                .limit(i32::try_from(per_request).unwrap_or(101))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if found.len() > wanted || start.is_none() {
                break;
            }
        }
        let next_cursor = if found.len() > wanted {
            found.truncate(wanted);
            cursor_of(found.last().map(|last| directory_key(&last.profile)))
        } else {
            None
        };
        Ok(Page { items: found.into_iter().map(|i| i.profile).collect(), next_cursor })
    }
}

#[derive(Serialize, Deserialize)]
struct InvitationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    partner_id: PartnerId,
    invited_by: Email,
    expires_at: DateTime<Utc>,
    expires_epoch: i64,
    ttl: i64,
}

fn invitation_pk(hash: &TokenHash) -> String {
    format!("INVITATION#{}", hash.as_str())
}

#[async_trait]
impl crate::ports::MemberStore for DynamoStore {
    async fn put_invitation(&self, invitation: &crate::ports::Invitation, log: &[LogEntry]) -> Result<(), StoreError> {
        let item = InvitationItem {
            pk: invitation_pk(&invitation.hash),
            sk: "INVITATION".into(),
            entity: "invitation".into(),
            partner_id: invitation.partner_id.clone(),
            invited_by: invitation.invited_by.clone(),
            expires_at: invitation.expires_at,
            expires_epoch: invitation.expires_at.timestamp(),
            ttl: ttl(invitation.expires_at),
        };
        let mut items = vec![self.put(to_item(&item)?, Some("attribute_not_exists(PK)"))?];
        for entry in log_items(&partner_pk(&invitation.partner_id), log) {
            items.push(self.put(to_item(&entry)?, None)?);
        }
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map(|_| ()).map_err(unavailable)
    }

    async fn link(
        &self,
        hash: &TokenHash,
        account: &Account,
        now: DateTime<Utc>,
    ) -> Result<crate::ports::Linked, StoreError> {
        use crate::ports::Linked;
        // The read only finds the profile; the conditional delete below is what makes the code
        // single use and bounded in time.
        let Some(invitation) = self.get::<InvitationItem>(invitation_pk(hash), "INVITATION").await? else {
            return Ok(Linked::InvalidCode);
        };
        if invitation.expires_at <= now {
            return Ok(Linked::InvalidCode);
        }
        let use_code = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(invitation_pk(hash), "INVITATION")))
            .condition_expression("attribute_exists(PK) AND expires_epoch > :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let link = self.link_account(&account.id, &invitation.partner_id)?;
        let pk = partner_pk(&invitation.partner_id);
        let member = MemberItem {
            pk: pk.clone(),
            sk: format!("MEMBER#{}", account.id),
            entity: "member".into(),
            account_id: account.id.clone(),
            email: account.email.clone(),
            linked_at: now,
        };
        let entry = LogEntry {
            at: now,
            action: crate::domain::LogAction::Linked,
            property: "Gebruiker".into(),
            user: account.email.to_string(),
            from: None,
            to: Some(account.email.to_string()),
        };
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(use_code).build())
            .transact_items(link)
            .transact_items(self.put(to_item(&member)?, Some("attribute_not_exists(PK)"))?);
        for item in log_items(&pk, &[entry]) {
            request = request.transact_items(self.put(to_item(&item)?, None)?);
        }
        match request.send().await {
            Ok(_) => Ok(Linked::Yes(crate::ports::Invitation {
                hash: hash.clone(),
                partner_id: invitation.partner_id,
                invited_by: invitation.invited_by,
                expires_at: invitation.expires_at,
            })),
            Err(e) => match failed_conditions(&e).as_deref() {
                Some([true, ..]) => Ok(Linked::InvalidCode),
                Some([_, true, ..] | [_, _, true, ..]) => Ok(Linked::AccountAlreadyLinked),
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn members(&self, partner: &PartnerId) -> Result<Vec<crate::ports::Member>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :member)")
            .expression_attribute_values(":pk", AttributeValue::S(partner_pk(partner)))
            .expression_attribute_values(":member", AttributeValue::S("MEMBER#".into()))
            .send()
            .await
            .map_err(unavailable)?;
        let mut members = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                from_item::<MemberItem>(item).map(|m| crate::ports::Member {
                    account_id: m.account_id,
                    email: m.email,
                    linked_at: m.linked_at,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        members.sort_by_key(|m| m.linked_at);
        Ok(members)
    }
}
