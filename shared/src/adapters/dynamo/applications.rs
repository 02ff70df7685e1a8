//! Applications, their logs and clients in the single table (see the item table in the parent
//! module).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{
    DynamoStore, LogItem, ProfileItem, cursor_of, from_item, log_items, partner_pk, s, start_of, to_item, unavailable,
};
use crate::domain::{Application, ApplicationId, ApplicationStatus, Client, ClientId, LogEntry, PartnerId, Profile};
use crate::ports::{
    ApplicationContext, ApplicationStore, ApplicationWrite, Imported, Page, Resubmission, Stale, StoreError,
};

pub(super) fn app_sk(id: &ApplicationId) -> String {
    format!("APP#{id}")
}

/// An application's log entries: in its partner's partition, `APPLOG#<app id>#<time>#<nn>`.
pub(super) fn app_log_items(partner: &PartnerId, app: &ApplicationId, log: &[LogEntry]) -> Vec<LogItem> {
    let mut items = log_items(&partner_pk(partner), log);
    for item in &mut items {
        item.sk = item.sk.replacen("LOG#", &format!("APPLOG#{app}#"), 1);
    }
    items
}

impl DynamoStore {
    /// The transaction steps that add `log` to an application's log.
    pub(super) fn put_log(
        &self,
        partner: &PartnerId,
        app: &ApplicationId,
        log: &[LogEntry],
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
        app_log_items(partner, app, log).iter().map(|item| self.put(to_item(item)?, None)).collect()
    }

    /// The transaction steps that write an application back to review: its item (only if it is
    /// still the version that was read; the versioned put comes first) and its log.
    pub(super) fn resubmit_items(
        &self,
        r: &Resubmission<'_>,
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
        let mut items = vec![self.put_versioned(to_item(&ApplicationItem::new(r.after))?, Some(r.before.version))?];
        items.extend(self.put_log(&r.after.partner_id, &r.after.id, r.log)?);
        Ok(items)
    }
}

pub(super) fn client_pk(id: &ClientId) -> String {
    format!("CLIENT#{id}")
}

#[derive(Serialize, Deserialize)]
pub(super) struct ApplicationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    version: u64,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    #[serde(rename = "GSI3PK")]
    gsi3pk: String,
    #[serde(rename = "GSI3SK")]
    gsi3sk: String,
    pub(super) application: Application,
}

impl ApplicationItem {
    fn new(app: &Application) -> Self {
        Self {
            pk: partner_pk(&app.partner_id),
            sk: app_sk(&app.id),
            entity: "application".into(),
            version: app.version,
            gsi1pk: format!("APPSTATUS#{}", app.status.code()),
            gsi1sk: format!("{}#{}", app.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"), app.id),
            gsi3pk: format!("APP#{}", app.id),
            gsi3sk: "APP".into(),
            application: app.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct ClientItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application_id: Option<ApplicationId>,
    pub(super) client: Client,
}

impl ClientItem {
    pub(super) fn new(client: &Client) -> Self {
        Self {
            pk: client_pk(&client.id),
            sk: "CLIENT".into(),
            entity: "client".into(),
            version: client.version,
            application_id: client.application_id.clone(),
            client: client.clone(),
        }
    }
}

#[async_trait]
impl ApplicationStore for DynamoStore {
    async fn write_application(&self, w: ApplicationWrite<'_>) -> Result<Result<(), Stale>, StoreError> {
        let mut parts = vec![Stale::Application];
        let mut items =
            vec![self.put_versioned(to_item(&ApplicationItem::new(w.after))?, w.before.map(|b| b.version))?];
        if let Some((before, after)) = w.client {
            items.push(self.put_versioned(to_item(&ClientItem::new(after))?, before.map(|b| b.version))?);
            parts.push(Stale::Client);
        }
        if let Some((before, after)) = w.profile {
            items.push(self.put_versioned(to_item(&ProfileItem::new(after))?, Some(before.version))?);
            parts.push(Stale::Profile);
        }
        items.extend(self.put_log(&w.after.partner_id, &w.after.id, w.log)?);
        self.transact_versioned(items, &parts).await
    }

    async fn application(&self, partner: &PartnerId, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        Ok(self.get::<ApplicationItem>(partner_pk(partner), &app_sk(id)).await?.map(|i| i.application))
    }

    async fn application_by_id(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
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
        // The index is eventually consistent: read the item itself for the current state.
        match out.items.unwrap_or_default().into_iter().next() {
            Some(item) => {
                let found = from_item::<ApplicationItem>(item)?.application;
                self.application(&found.partner_id, id).await
            }
            None => Ok(None),
        }
    }

    async fn applications(&self, partner: &PartnerId) -> Result<Vec<Application>, StoreError> {
        let mut apps = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :app)")
                .expression_attribute_values(":pk", AttributeValue::S(partner_pk(partner)))
                .expression_attribute_values(":app", AttributeValue::S("APP#".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                apps.push(from_item::<ApplicationItem>(item)?.application);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
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
        let partition = format!("APPSTATUS#{}", status.code());
        let start = start_of(cursor, |k| s(k, "GSI1PK") == partition && s(k, "SK").starts_with("APP#"))?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :status")
            .expression_attribute_values(":status", AttributeValue::S(partition.clone()))
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
        self.log_page(partner_pk(partner), &format!("APPLOG#{id}#"), limit, cursor).await
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self.get::<ClientItem>(client_pk(id), "CLIENT").await?.map(|i| i.client))
    }

    async fn write_partner(
        &self,
        profile: (&Profile, &Profile),
        clients: &[(Client, Client)],
        log: &[LogEntry],
    ) -> Result<Result<(), Stale>, StoreError> {
        let (before, after) = profile;
        let mut parts = vec![Stale::Profile];
        let mut items = vec![self.put_versioned(to_item(&ProfileItem::new(after))?, Some(before.version))?];
        for (read, written) in clients {
            items.push(self.put_versioned(to_item(&ClientItem::new(written))?, Some(read.version))?);
            parts.push(Stale::Client);
        }
        for item in log_items(&partner_pk(&after.id), log) {
            items.push(self.put(to_item(&item)?, None)?);
        }
        self.transact_versioned(items, &parts).await
    }

    async fn write_client(
        &self,
        before: &Client,
        after: &Client,
        log: &[LogEntry],
    ) -> Result<Result<(), Stale>, StoreError> {
        let mut items = vec![self.put_versioned(to_item(&ClientItem::new(after))?, Some(before.version))?];
        if let (Some(partner), Some(app)) = (&after.partner_id, &after.application_id) {
            items.extend(self.put_log(partner, app, log)?);
        }
        self.transact_versioned(items, &[Stale::Client]).await
    }

    async fn application_context(
        &self,
        partner: &PartnerId,
        id: &ApplicationId,
        client: Option<&ClientId>,
    ) -> Result<ApplicationContext, StoreError> {
        self.read_application_context(partner, id, client).await
    }

    async fn indexed_application(&self, id: &ApplicationId) -> Result<Option<Application>, StoreError> {
        self.read_indexed_application(id).await
    }

    async fn write_partner_suspension(
        &self,
        profile: (&Profile, &Profile),
        clients: &[ClientId],
        suspended: bool,
        log: &[LogEntry],
    ) -> Result<Result<(), Stale>, StoreError> {
        self.write_suspension(profile, clients, suspended, log).await
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
