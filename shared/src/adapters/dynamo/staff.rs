//! The back office's reset tokens (StaffResetStore): a token item by its hash, and beside the
//! user the hash of its newest token. Both go with their `ttl`. See the item table in the parent
//! module.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{self, Key};
use super::{DynamoStore, from_item, to_item, ttl, unavailable};
use crate::domain::{Email, StaffResetToken, TokenHash};
use crate::ports::{StaffResetStore, StoreError};

#[derive(Serialize, Deserialize)]
struct StaffResetItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    hash: TokenHash,
    email: Email,
    expires_at: DateTime<Utc>,
    expires_epoch: i64,
    ttl: i64,
}

impl From<&StaffResetToken> for StaffResetItem {
    fn from(t: &StaffResetToken) -> Self {
        let Key { pk, sk } = keys::staff_reset(&t.hash);
        Self {
            pk,
            sk,
            entity: "staff_reset".into(),
            hash: t.hash.clone(),
            email: t.email.clone(),
            expires_at: t.expires_at,
            expires_epoch: t.expires_at.timestamp(),
            ttl: ttl(t.expires_at),
        }
    }
}

impl From<StaffResetItem> for StaffResetToken {
    fn from(i: StaffResetItem) -> Self {
        Self { hash: i.hash, email: i.email, expires_at: i.expires_at }
    }
}

/// The user's newest token: kept as long as that token lives.
#[derive(Serialize, Deserialize)]
struct NewestResetItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    newest: TokenHash,
    ttl: i64,
}

#[async_trait]
impl StaffResetStore for DynamoStore {
    async fn put_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError> {
        let Key { pk, sk } = keys::staff_newest_reset(&token.email);
        let newest = NewestResetItem {
            pk,
            sk,
            entity: "staff_newest_reset".into(),
            newest: token.hash.clone(),
            ttl: ttl(token.expires_at),
        };
        let mut t = self.transaction();
        t.put_item(to_item(&StaffResetItem::from(token))?)?.put_item(to_item(&newest)?)?;
        self.transact(t).await?.map_err(super::transaction::Cancelled::into_error)
    }

    async fn take_staff_reset(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffResetToken>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::staff_reset(hash).item()))
            .condition_expression("attribute_exists(PK) AND expires_epoch > :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                out.attributes.map(|item| from_item::<StaffResetItem>(item).map(StaffResetToken::from)).transpose()
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn newest_staff_reset(&self, email: &Email) -> Result<Option<TokenHash>, StoreError> {
        Ok(self.get::<NewestResetItem>(keys::staff_newest_reset(email)).await?.map(|i| i.newest))
    }

    async fn restore_staff_reset(&self, token: &StaffResetToken) -> Result<(), StoreError> {
        self.put_one(to_item(&StaffResetItem::from(token))?, None).await
    }
}
