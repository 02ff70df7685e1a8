//! The single table. Item keys (PK / SK), all built in `keys.rs`:
//!
//! | item | PK | SK | notes |
//! |---|---|---|---|
//! | account | `ACCOUNT#<sub>` | `ACCOUNT` | email, status, created_at, activated_at, terms (version, accepted_at), sessions_valid_from, reset_token (hash of the newest reset token) |
//! | email guard | `EMAIL#<email>` | `EMAIL` | account_id; makes the address unique |
//! | single-use token | `TOKEN#<sha256>` | `TOKEN` | purpose, account, expires_at, `ttl` |
//! | staff reset token | `STAFFRESET#<sha256>` | `STAFFRESET` | a back-office user's "Wachtwoord vergeten?" token: email, expires_at, `ttl` |
//! | newest staff reset | `STAFFUSER#<email>` | `NEWESTRESET` | hash of the user's newest reset token (only that one works), `ttl` |
//! | failed attempts | `ATTEMPTS#<key>` | `ATTEMPTS` | failures, window start, `ttl` |
//! | counted uses | `USES#<key>` | `USES` | `use0`..: the epoch seconds of the last uses (mails sent to an address), `ttl` |
//! | partner profile | `PARTNER#<id>` | `PROFILE` | the profile (map `profile`), `name_key`; while listed also `GSI2PK` = `DIRECTORY`, `GSI2SK` = `<folded name>#<id>` |
//! | profile member | `PARTNER#<id>` | `MEMBER#<sub>` | a linked account: email, linked_at |
//! | name guard | `PROFILENAME#<name key>` | `PROFILENAME` | partner_id; makes the name unique |
//! | slug guard | `SLUG#<slug>` | `SLUG` | partner_id; makes the public URL unique |
//! | invitation code | `INVITATION#<sha256>` | `INVITATION` | partner_id, invited_by, expires, `ttl` |
//! | profile log | `PARTNER#<id>` | `LOG#<time>#<nn>#<random>` | one LogEntry (map `entry`); newest first by a reverse Query |
//! | application | `PARTNER#<id>` | `APP#<app id>` | map `application`, `version`; `GSI1PK` = `APPSTATUS#<status>`, `GSI1SK` = `<created_at>#<app id>` (the review queue); `GSI3PK` = `APP#<app id>` (moderators find it by id) |
//! | application log | `PARTNER#<id>` | `APPLOG#<app id>#<time>#<nn>#<random>` | one LogEntry |
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
//!
//! The files: `keys.rs` builds every key above; `transaction.rs` runs TransactWriteItems with a
//! `Guard` on each item, so a cancellation is read by what failed, not by position; one file
//! per port holds its items and its impl: `accounts` (AccountStore, AttemptStore), `staff`
//! (StaffResetStore), `profiles`
//! (ProfileStore), `members` (MemberStore), `applications` (ApplicationStore), `access`
//! (AccessStore), `tokens` (TokenStore), `lookups` (Lookups: reads that name what an operation
//! reads next, and a client with its school entry as of one moment). This file holds the store
//! and the reads and writes they share.

mod access;
mod accounts;
mod applications;
mod items;
mod keys;
mod lookups;
mod members;
mod profiles;
mod staff;
mod tokens;
mod transaction;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use self::keys::{Key, Log};
use crate::domain::{LogEntry, PartnerId};
use crate::ports::{Page, StoreError};

type Item = HashMap<String, AttributeValue>;

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn get<T: DeserializeOwned>(&self, key: Key) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
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

    /// One page of a log in a partner's partition, newest first. The cursor is the last SK of
    /// the previous page; it must lie under the log's prefix, and the partition is always the
    /// caller's.
    async fn log_page(
        &self,
        partner: &PartnerId,
        log: Log<'_>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        let (pk, prefix) = (keys::partner(partner), log.prefix());
        let start = match cursor {
            None => None,
            Some(raw) => {
                let sk = URL_SAFE_NO_PAD
                    .decode(raw)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|sk| sk.starts_with(&prefix))
                    .ok_or(StoreError::InvalidCursor)?;
                Some(Key { pk: pk.clone(), sk }.item())
            }
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :log)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":log", AttributeValue::S(prefix))
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

    /// Every item of a Query, following its pages.
    async fn query_all(
        &self,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, String)],
    ) -> Result<(Vec<Item>, u64), StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            // The table itself can be read strongly consistent (an index cannot).
            .consistent_read(index.is_none())
            .key_condition_expression(condition);
        for (name, value) in values {
            query = query.expression_attribute_values(*name, AttributeValue::S(value.clone()));
        }
        // Every page: the SDK's paginator follows LastEvaluatedKey.
        let mut pages = query.into_paginator().send();
        let mut items = Vec::new();
        let mut scanned = 0u64;
        while let Some(page) = pages.next().await {
            let page = page.map_err(unavailable)?;
            scanned += u64::try_from(page.scanned_count).unwrap_or_default();
            items.extend(page.items.unwrap_or_default());
        }
        Ok((items, scanned))
    }
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

/// DynamoDB deletes items some time after their `ttl` (epoch seconds); reads check expiry anyway.
fn ttl(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// An item that only says something happened (an assertion seen, an address mailed) until its
/// `ttl`: its key is all it holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    ttl: i64,
}

impl Marker {
    fn new(key: keys::Key, entity: &str, until: DateTime<Utc>) -> Self {
        Self { pk: key.pk, sk: key.sk, entity: entity.into(), ttl: ttl(until) }
    }
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

/// The items that add `entries` to `log`, one per entry.
fn log_items(partner: &PartnerId, log: Log<'_>, entries: &[LogEntry]) -> Vec<LogItem> {
    entries
        .iter()
        .enumerate()
        .map(|(n, entry)| {
            let tail = &uuid::Uuid::new_v4().simple().to_string()[..8];
            let Key { pk, sk } = keys::log_entry(partner, log, entry.at, n, tail);
            LogItem { pk, sk, entity: "log".into(), entry: entry.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::items::{cursor_of, start_of};
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_key_it_was_made_of() {
        let key = Key { pk: "PARTNER#p".into(), sk: "APP#a".into() }.item();
        let cursor = cursor_of(Some(key.clone())).expect("a cursor");
        assert_eq!(start_of(Some(&cursor), |_| true).expect("a key"), Some(key));
        assert_eq!(cursor_of(None), None);
        assert_eq!(start_of(None, |_| false).expect("no cursor"), None);
    }

    #[test]
    fn a_cursor_of_another_list_or_no_cursor_at_all_is_refused() {
        let cursor = cursor_of(Some(Key { pk: "PARTNER#p".into(), sk: "PROFILE".into() }.item())).expect("a cursor");
        assert!(matches!(start_of(Some(&cursor), |_| false), Err(StoreError::InvalidCursor)));
        for garbage in ["not base64!", "bm90IGpzb24", "eyJQSyI6MX0"] {
            assert!(matches!(start_of(Some(garbage), |_| true), Err(StoreError::InvalidCursor)), "{garbage}");
        }
    }

    #[test]
    fn log_items_are_keyed_under_their_log() {
        let partner = PartnerId::new();
        let at = DateTime::from_timestamp(1_700_000_000, 0).expect("a time");
        let entry = LogEntry {
            at,
            action: crate::domain::LogAction::Linked,
            property: "Gebruiker".into(),
            user: "an@example.be".into(),
            from: None,
            to: None,
        };
        let app = crate::domain::ApplicationId::new();
        let items = log_items(&partner, Log::Application(&app), &[entry.clone(), entry]);
        assert_eq!(items.len(), 2);
        for (n, item) in items.iter().enumerate() {
            assert_eq!(item.pk, keys::partner(&partner));
            let expected = format!("{}2023-11-14T22:13:20.000000Z#{}#", Log::Application(&app).prefix(), 99 - n);
            assert!(item.sk.starts_with(&expected), "{}", item.sk);
            assert_eq!(item.entity, "log");
        }
    }
}
