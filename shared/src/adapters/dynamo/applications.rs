//! Applications, their logs and clients in the single table (see the item table in the parent
//! module).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::items::{ApplicationItem, ClientItem, ProfileItem, cursor_of, start_of};
use super::keys::{self, Key, Log};
use super::transaction::Guard;
use super::{DynamoStore, from_item, log_items, s, to_item, unavailable};
use crate::domain::{
    Application, ApplicationId, ApplicationStatus, Change, Client, ClientId, LogEntry, PartnerId, Profile,
};
use crate::ports::{
    ApplicationContext, ApplicationStore, ApplicationWrite, Imported, Lookups, Page, Stale, StoreError,
};

#[async_trait]
impl ApplicationStore for DynamoStore {
    async fn write_application(&self, w: ApplicationWrite<'_>) -> Result<(), StoreError> {
        let mut t = self.transaction_for(w.change);
        t.put_versioned(Stale::Application, to_item(&ApplicationItem::new(w.after))?, w.before.map(|b| b.version))?;
        if let Some((before, after)) = w.client {
            t.put_versioned(Stale::Client, to_item(&ClientItem::new(after))?, before.map(|b| b.version))?;
        }
        if let Some((before, after)) = w.profile {
            t.put_versioned(Stale::Profile, to_item(&ProfileItem::new(after))?, Some(before.version))?;
        }
        t.append_application_log(&w.after.partner_id, &w.after.id, w.log)?;
        self.transact_versioned(t).await
    }

    async fn application(&self, partner: &PartnerId, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        Ok(self.get::<ApplicationItem>(keys::application(partner, id)).await?.map(|i| i.application))
    }

    async fn application_by_id(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        // The index is eventually consistent: read the item itself for the current state.
        match Lookups::indexed_application(self, id).await? {
            Some(found) => self.application(&found.partner_id, id).await,
            None => Ok(None),
        }
    }

    async fn applications(&self, partner: &PartnerId) -> Result<Vec<Application>, StoreError> {
        // Every page: the SDK's paginator follows LastEvaluatedKey.
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :app)")
            .expression_attribute_values(":pk", AttributeValue::S(keys::partner(partner)))
            .expression_attribute_values(":app", AttributeValue::S(keys::APPLICATIONS.into()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut apps = Vec::new();
        while let Some(item) = items.next().await {
            apps.push(from_item::<ApplicationItem>(item.map_err(unavailable)?)?.application);
        }
        apps.sort_by_key(|a| std::cmp::Reverse(a.created_at));
        Ok(apps)
    }

    async fn applications_by_status(
        &self,
        status: ApplicationStatus,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError> {
        let start = start_of(cursor, |k| keys::is_review_queue_cursor(k, status))?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :status")
            .expression_attribute_values(":status", AttributeValue::S(keys::review_queue(status)))
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<ApplicationItem>(item).map(|i| i.application))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, next_cursor: cursor_of(out.last_evaluated_key) })
    }

    async fn application_log(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        self.log_page(partner, Log::Application(id), limit, cursor).await
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self.get::<ClientItem>(keys::client(id)).await?.map(|i| i.client))
    }

    async fn write_client(
        &self,
        before: &Client,
        after: &Client,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut t = self.transaction_for(change);
        t.put_versioned(Stale::Client, to_item(&ClientItem::new(after))?, Some(before.version))?;
        if let (Some(partner), Some(app)) = (&after.partner_id, &after.application_id) {
            t.append_application_log(partner, app, log)?;
        }
        self.transact_versioned(t).await
    }

    async fn application_context(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        client: Option<&ClientId>,
    ) -> Result<ApplicationContext, StoreError> {
        // One BatchGetItem (strongly consistent) of up to three keys; each item is told apart by
        // its key.
        let (application_key, profile_key) = (keys::application(partner, id), keys::profile(partner));
        let client_key = client.map(keys::client);
        let mut wanted = vec![application_key.item(), profile_key.item()];
        wanted.extend(client_key.as_ref().map(Key::item));
        let mut context = ApplicationContext::default();
        for item in self.batch_get(wanted).await? {
            let (pk, sk) = (s(&item, "PK"), s(&item, "SK"));
            if pk == profile_key.pk && sk == profile_key.sk {
                context.profile = Some(from_item::<ProfileItem>(item)?.profile);
            } else if client_key.as_ref().is_some_and(|k| pk == k.pk && sk == k.sk) {
                context.client = Some(from_item::<ClientItem>(item)?.client);
            } else {
                context.application = Some(from_item::<ApplicationItem>(item)?.application);
            }
        }
        Ok(context)
    }

    async fn write_partner_suspension(
        &self,
        profile: (&Profile, &Profile),
        clients: &[ClientId],
        suspended: bool,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<(), StoreError> {
        // The profile (a Put conditional on its version), an Update per client (its flag and
        // both copies of its version, only if the client exists) and the profile's log entries.
        let (before, after) = profile;
        let mut t = self.transaction_for(change);
        t.put_versioned(Stale::Profile, to_item(&ProfileItem::new(after))?, Some(before.version))?;
        for id in clients {
            t.update(Guard::Version(Stale::Client), suspend_client(id, suspended))?;
        }
        for item in log_items(&after.id, Log::Profile, log) {
            t.put_item(to_item(&item)?)?;
        }
        self.transact_versioned(t).await
    }

    async fn import_client(&self, client: &Client) -> Result<Imported, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&ClientItem::new(client))?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        let outcome = match result {
            Ok(_) => Imported::Created,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Imported::Exists
            }
            Err(e) => return Err(unavailable(e)),
        };
        // Its schools see it among their applications (manual 3.4: administrators manage the
        // access of applications that have access already). Written after the client, each
        // only if missing, so a rerun of an interrupted import completes the index.
        let institutions: std::collections::BTreeSet<_> = client.scopes.iter().map(|s| s.institution.clone()).collect();
        for institution in institutions {
            let grant = crate::domain::Grant { granted_at: client.created_at, granted_by: "import".into() };
            let grants =
                client.scopes.iter().filter(|s| s.institution == institution).map(|s| (s.api, grant.clone())).collect();
            let access = crate::domain::SchoolAccess {
                client_id: client.id.clone(),
                institution,
                grants,
                updated_at: client.created_at,
            };
            self.index_school_access(&access).await?;
        }
        Ok(outcome)
    }
}

/// Sets the client's `partner_suspended` and counts a new version (in the item and in the client
/// it holds), so a writer that read the client before fails its version condition.
fn suspend_client(id: &ClientId, suspended: bool) -> UpdateBuilder {
    Update::builder()
        .set_key(Some(keys::client(id).item()))
        .update_expression(
            "SET #client.#suspended = :suspended, #client.#version = #client.#version + :one, #version = #version + :one",
        )
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_names("#client", "client")
        .expression_attribute_names("#suspended", "partner_suspended")
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":suspended", AttributeValue::Bool(suspended))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
}
