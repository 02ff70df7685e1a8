//! What the token endpoint reads and writes: the client with its failure count in one Query,
//! the failure counter, and the `jti`s of client assertions already used.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

use super::items::{AttemptsItem, ClientItem};
use super::keys;
use super::{DynamoStore, Marker, from_item, s, to_item, unavailable};
use crate::domain::ClientId;
use crate::ports::{StoreError, TokenClient, TokenStore};

#[async_trait]
impl TokenStore for DynamoStore {
    async fn token_client(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<TokenClient, StoreError> {
        // Consistent: a replaced secret or an archived application stops working at once.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :client)")
            .expression_attribute_values(":pk", AttributeValue::S(keys::client_partition(id)))
            .expression_attribute_values(":client", AttributeValue::S(keys::CLIENT_AND_FAILURES.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let (client, failures) = (keys::client(id), keys::client_failures(id));
        let mut found = TokenClient { client: None, failures: None };
        for item in out.items.unwrap_or_default() {
            match s(&item, "SK") {
                sk if sk == client.sk => found.client = Some(from_item::<ClientItem>(item)?.client),
                sk if sk == failures.sk => {
                    found.failures = Some(from_item::<AttemptsItem>(item)?.attempts())
                        .filter(|a| now < a.window_started_at + window);
                }
                _ => {}
            }
        }
        Ok(found)
    }

    async fn record_token_failure(
        &self,
        id: &ClientId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<crate::ports::Attempts, StoreError> {
        self.count_failure(keys::client_failures(id), now, window).await
    }

    async fn clear_token_failures(&self, id: &ClientId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::client_failures(id).item()))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn use_assertion_once(
        &self,
        id: &ClientId,
        jti: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let item = Marker::new(keys::used_assertion(id, jti), "used_assertion", until);
        // TTL deletes late: a remembered jti whose assertion has expired may be used again, and
        // then it is refused for being expired anyway.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .condition_expression("attribute_not_exists(PK) OR #ttl < :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}
