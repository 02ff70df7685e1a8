//! A profile's members and the invitation codes that link accounts to it (MemberStore).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete};
use chrono::{DateTime, Utc};

use super::items::{InvitationItem, MemberItem};
use super::keys::{self, Key, Log};
use super::transaction::{Cancelled, Guard};
use super::{DynamoStore, from_item, log_items, to_item, ttl, unavailable};
use crate::domain::{Account, Change, LogEntry, PartnerId, TokenHash};
use crate::ports::StoreError;

#[async_trait]
impl crate::ports::MemberStore for DynamoStore {
    async fn put_invitation(
        &self,
        invitation: &crate::ports::Invitation,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
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
        let mut t = self.transaction_for(change);
        t.put_new(Guard::NewInvitation, to_item(&item)?)?;
        for entry in log_items(&invitation.partner_id, Log::Profile, log) {
            t.put_item(to_item(&entry)?)?;
        }
        self.transact(t).await?.map_err(Cancelled::into_error)
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
            .set_key(Some(keys::invitation(hash).item()))
            .condition_expression("attribute_exists(PK) AND expires_epoch > :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()));
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
        let mut t = self.transaction();
        t.delete(Guard::InvitationValid, use_code)?;
        t.link_account(&account.id, &invitation.partner_id)?;
        t.put_new(Guard::NewMember, to_item(&member)?)?;
        for item in log_items(&invitation.partner_id, Log::Profile, &[entry]) {
            t.put_item(to_item(&item)?)?;
        }
        match self.transact(t).await? {
            Ok(()) => Ok(Linked::Yes(crate::ports::Invitation {
                hash: hash.clone(),
                partner_id: invitation.partner_id,
                invited_by: invitation.invited_by,
                expires_at: invitation.expires_at,
            })),
            Err(c) if c.failed(Guard::InvitationValid) => Ok(Linked::InvalidCode),
            Err(c) if c.failed(Guard::AccountUnlinked) || c.failed(Guard::NewMember) => {
                Ok(Linked::AccountAlreadyLinked)
            }
            Err(c) => Err(c.into_error()),
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
