//! Reads and writes that serve several items in one round trip (issue 16, "Round trips"): what a
//! change to an application reads (its item, its partner's profile, its client) in one
//! BatchGetItem; where an application is before that (the id index); a partner's suspension
//! written onto its clients without reading them first.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::applications::{ApplicationItem, ClientItem, app_sk, client_pk};
use super::{DynamoStore, ProfileItem, from_item, key, log_items, partner_pk, s, to_item, unavailable};
use crate::domain::{Application, ApplicationId, ClientId, LogEntry, PartnerId, Profile};
use crate::ports::{ApplicationContext, Stale, StoreError};

impl DynamoStore {
    /// [`crate::ports::ApplicationStore::application_context`]: one BatchGetItem (strongly
    /// consistent) of up to three keys; each item is told apart by its sort key.
    pub(super) async fn read_application_context(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        client: Option<&ClientId>,
    ) -> Result<ApplicationContext, StoreError> {
        let mut keys = vec![key(partner_pk(partner), &app_sk(id)), key(partner_pk(partner), "PROFILE")];
        keys.extend(client.map(|c| key(client_pk(c), "CLIENT")));
        let mut context = ApplicationContext::default();
        for item in self.batch_get(keys).await? {
            match s(&item, "SK") {
                "PROFILE" => context.profile = Some(from_item::<ProfileItem>(item)?.profile),
                "CLIENT" => context.client = Some(from_item::<ClientItem>(item)?.client),
                _ => context.application = Some(from_item::<ApplicationItem>(item)?.application),
            }
        }
        Ok(context)
    }

    /// [`crate::ports::ApplicationStore::indexed_application`]: one Query on GSI3.
    pub(super) async fn read_indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
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
        match out.items.unwrap_or_default().into_iter().next() {
            Some(item) => Ok(Some(from_item::<ApplicationItem>(item)?.application)),
            None => Ok(None),
        }
    }

    /// [`crate::ports::ApplicationStore::write_partner_suspension`]: one TransactWriteItems of
    /// the profile (a Put conditional on its version), an Update per client (its flag and both
    /// copies of its version, only if the client exists) and the profile's log entries.
    pub(super) async fn write_suspension(
        &self,
        profile: (&Profile, &Profile),
        clients: &[ClientId],
        suspended: bool,
        log: &[LogEntry],
    ) -> Result<Result<(), Stale>, StoreError> {
        let (before, after) = profile;
        let mut parts = vec![Stale::Profile];
        let mut items = vec![self.put_versioned(to_item(&ProfileItem::new(after))?, Some(before.version))?];
        for id in clients {
            items.push(self.suspend_client(id, suspended)?);
            parts.push(Stale::Client);
        }
        for item in log_items(&partner_pk(&after.id), log) {
            items.push(self.put(to_item(&item)?, None)?);
        }
        self.transact_versioned(items, &parts).await
    }

    /// Sets the client's `partner_suspended` and counts a new version (in the item and in the
    /// client it holds), so a writer that read the client before fails its version condition.
    fn suspend_client(&self, id: &ClientId, suspended: bool) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(client_pk(id), "CLIENT")))
            .update_expression("SET #client.#suspended = :suspended, #client.#version = #client.#version + :one, #version = #version + :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#client", "client")
            .expression_attribute_names("#suspended", "partner_suspended")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":suspended", AttributeValue::Bool(suspended))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
