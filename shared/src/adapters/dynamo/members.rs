//! A profile's members and the invitation codes that link accounts to it (MemberStore).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{self, Key, Log};
use super::{DynamoStore, failed_conditions, from_item, log_items, to_item, ttl, unavailable};
use crate::domain::{Account, AccountId, Email, LogEntry, PartnerId, TokenHash};
use crate::ports::StoreError;

#[derive(Serialize, Deserialize)]
pub(super) struct MemberItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) account_id: AccountId,
    pub(super) email: Email,
    pub(super) linked_at: DateTime<Utc>,
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

#[async_trait]
impl crate::ports::MemberStore for DynamoStore {
    async fn put_invitation(&self, invitation: &crate::ports::Invitation, log: &[LogEntry]) -> Result<(), StoreError> {
        let Key { pk, sk } = keys::invitation(&invitation.hash);
        let item = InvitationItem {
            pk,
            sk,
            entity: "invitation".into(),
            partner_id: invitation.partner_id.clone(),
            invited_by: invitation.invited_by.clone(),
            expires_at: invitation.expires_at,
            expires_epoch: invitation.expires_at.timestamp(),
            ttl: ttl(invitation.expires_at),
        };
        let mut items = vec![self.put(to_item(&item)?, Some("attribute_not_exists(PK)"))?];
        for entry in log_items(&invitation.partner_id, Log::Profile, log) {
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
        let Some(invitation) = self.get::<InvitationItem>(keys::invitation(hash)).await? else {
            return Ok(Linked::InvalidCode);
        };
        if invitation.expires_at <= now {
            return Ok(Linked::InvalidCode);
        }
        let use_code = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::invitation(hash).item()))
            .condition_expression("attribute_exists(PK) AND expires_epoch > :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let link = self.link_account(&account.id, &invitation.partner_id)?;
        let Key { pk, sk } = keys::member(&invitation.partner_id, &account.id);
        let member = MemberItem {
            pk,
            sk,
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
        for item in log_items(&invitation.partner_id, Log::Profile, &[entry]) {
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
            .expression_attribute_values(":pk", AttributeValue::S(keys::partner(partner)))
            .expression_attribute_values(":member", AttributeValue::S(keys::MEMBERS.into()))
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
