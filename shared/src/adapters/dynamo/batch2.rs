//! [`Lookups`]: single reads whose answer names the items an operation reads next, so that those
//! go out together in one round trip.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::applications::ApplicationItem;
use super::{DynamoStore, InvitationItem, from_item, invitation_pk, unavailable};
use crate::domain::{Application, ApplicationId, TokenHash};
use crate::ports::{Invitation, Lookups, StoreError};

#[async_trait]
impl Lookups for DynamoStore {
    async fn indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :app")
            .expression_attribute_values(":app", AttributeValue::S(format!("APP#{id}")))
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|item| Ok(from_item::<ApplicationItem>(item)?.application))
            .transpose()
    }

    async fn invitation(&self, hash: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        Ok(self.get::<InvitationItem>(invitation_pk(hash), "INVITATION").await?.map(|i| Invitation {
            hash: hash.clone(),
            partner_id: i.partner_id,
            invited_by: i.invited_by,
            expires_at: i.expires_at,
        }))
    }
}
