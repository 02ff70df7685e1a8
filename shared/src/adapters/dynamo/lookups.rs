//! [`Lookups`]: single reads whose answer names the items an operation reads next, so that those
//! go out together in one round trip.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Get, TransactGetItem};
use serde::Deserialize;

use super::items::{ApplicationItem, ClientItem, InvitationItem};
use super::{DynamoStore, from_item, keys, unavailable};
use crate::domain::{Application, ApplicationId, Client, ClientId, Institution, SchoolAccess, TokenHash};
use crate::ports::{Invitation, Lookups, StoreError};

/// A school's index entry (`keys::school_access`, dynamo/access.rs), of which only the entry is
/// read here.
#[derive(Deserialize)]
struct SchoolAccessEntry {
    access: SchoolAccess,
}

#[async_trait]
impl Lookups for DynamoStore {
    async fn indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :app")
            .expression_attribute_values(":app", AttributeValue::S(keys::application_by_id(id).pk))
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
        Ok(self.get::<InvitationItem>(keys::invitation(hash)).await?.map(|i| Invitation {
            hash: hash.clone(),
            partner_id: i.partner_id,
            invited_by: i.invited_by,
            expires_at: i.expires_at,
        }))
    }

    async fn client_at_school(
        &self,
        id: &ClientId,
        institution: &Institution,
    ) -> Result<(Option<Client>, Option<SchoolAccess>), StoreError> {
        // One TransactGetItems: both items as of one moment (a Query or BatchGetItem may see one
        // before and one after a transaction).
        let mut gets = Vec::new();
        for k in [keys::client(id).item(), keys::school_access(id, institution).item()] {
            let get = Get::builder()
                .table_name(&self.table)
                .set_key(Some(k))
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            gets.push(TransactGetItem::builder().get(get).build());
        }
        let out = self.client.transact_get_items().set_transact_items(Some(gets)).send().await.map_err(unavailable)?;
        let mut found = out.responses.unwrap_or_default().into_iter().map(|r| r.item);
        let client = found.next().flatten().map(|item| Ok(from_item::<ClientItem>(item)?.client)).transpose()?;
        let access = found.next().flatten().map(|item| Ok(from_item::<SchoolAccessEntry>(item)?.access)).transpose()?;
        Ok((client, access))
    }
}
