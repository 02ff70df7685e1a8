//! Accounts, their email guards and single-use tokens (AccountStore), and the counters of failed
//! attempts and of uses (AttemptStore). See the item table in the parent module.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Update};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::items::AttemptsItem;
use super::keys::{self, Key};
use super::transaction::{Cancelled, Guard};
use super::{DynamoStore, from_item, to_item, ttl, unavailable};
use crate::domain::{
    AcceptedTerms, Account, AccountId, AccountStatus, Email, OneTimeToken, PartnerId, TokenHash, TokenPurpose,
};
use crate::ports::{AccountStore, AttemptStore, Attempts, Created, StoreError};

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
        let Key { pk, sk } = keys::account(&a.id);
        Self {
            pk,
            sk,
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
        let Key { pk, sk } = keys::token(&t.hash);
        Self {
            pk,
            sk,
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

fn purpose_name(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Activation => "activation",
        TokenPurpose::PasswordReset => "password_reset",
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_account(&self, account: &Account, activation: &OneTimeToken) -> Result<Created, StoreError> {
        let Key { pk, sk } = keys::email(&account.email);
        let guard = EmailGuardItem { pk, sk, entity: "email_guard".into(), account_id: account.id.clone() };
        let mut t = self.transaction();
        t.put_new(Guard::EmailFree, to_item(&guard)?)?
            .put_new(Guard::NewAccount, to_item(&AccountItem::from(account))?)?
            .put_item(to_item(&TokenItem::from(activation))?)?;
        match self.transact(t).await? {
            Ok(()) => Ok(Created::Yes),
            // Either failing means the address is taken.
            Err(c) if c.failed(Guard::EmailFree) || c.failed(Guard::NewAccount) => Ok(Created::EmailTaken),
            Err(c) => Err(c.into_error()),
        }
    }

    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.get::<AccountItem>(keys::account(id)).await?.map(Account::from))
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        match self.get::<EmailGuardItem>(keys::email(email)).await? {
            Some(guard) => self.account(&guard.account_id).await,
            None => Ok(None),
        }
    }

    async fn activate(&self, id: &AccountId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::account(id).item()))
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
            .set_key(Some(keys::account(&token.account_id).item()))
            .update_expression("SET reset_token = :hash")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":hash", AttributeValue::S(token.hash.as_str().to_owned()));
        let mut t = self.transaction();
        t.put_item(to_item(&TokenItem::from(token))?)?.update(Guard::AccountExists, newest)?;
        self.transact(t).await?.map_err(Cancelled::into_error)
    }

    async fn end_sessions(&self, id: &AccountId, from: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::account(id).item()))
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

    async fn token(&self, hash: &TokenHash, purpose: TokenPurpose) -> Result<Option<OneTimeToken>, StoreError> {
        let item = self.get::<TokenItem>(keys::token(hash)).await?;
        Ok(item.map(OneTimeToken::from).filter(|t| t.purpose == purpose))
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
            .set_key(Some(keys::token(hash).item()))
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
        let item = self.get::<AttemptsItem>(keys::attempts(key)).await?;
        Ok(item.map(|i| i.attempts()).filter(|a| now < a.window_started_at + window))
    }

    async fn record_failure(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Attempts, StoreError> {
        self.count_failure(keys::attempts(key), now, window).await
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::attempts(key).item()))
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
        let found = self.batch_get(keys.iter().map(|k| keys::attempts(k).item()).collect()).await?;
        let mut by_pk = HashMap::new();
        for item in found {
            let item = from_item::<AttemptsItem>(item)?;
            by_pk.insert(item.pk.clone(), item.attempts());
        }
        Ok(keys
            .iter()
            .map(|k| by_pk.get(&keys::attempts(k).pk).copied().filter(|a| now < a.window_started_at + window))
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
                .set_key(Some(keys::uses(key).item()))
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

    async fn take_daily(
        &self,
        key: &str,
        day: chrono::NaiveDate,
        max: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::daily(key, day).item()))
            .update_expression("ADD #count :one SET entity = :entity, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :max")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .expression_attribute_values(":entity", AttributeValue::S("daily".into()))
            .expression_attribute_values(":ttl", AttributeValue::N(ttl(expires_at).to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl DynamoStore {
    /// Counts one failure in the item at `key`: in the window that is open, or in a new one that
    /// starts `now`. The sign-in throttle and the token endpoint's both count this way.
    pub(super) async fn count_failure(
        &self,
        key: Key,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Attempts, StoreError> {
        // Count in the open window, if there is one ...
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
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
        let Key { pk, sk } = key;
        let item = AttemptsItem {
            pk,
            sk,
            entity: "attempts".into(),
            failures: 1,
            window_started_epoch: now.timestamp(),
            ttl: ttl(now + window),
        };
        self.put_one(to_item(&item)?, None).await?;
        Ok(item.attempts())
    }
}
