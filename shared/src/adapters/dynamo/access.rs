//! Access requests and the per-school index of grants.
//!
//! | item | PK | SK | indexes |
//! |---|---|---|---|
//! | access request | `ACCESSREQ#<sha256 of the link token>` | `ACCESSREQ` | `GSI1PK` = `APPREQ#<app id>`, `GSI1SK` = `<created_at>#<id>` (an application's requests); while pending `GSI2PK` = `EXPIRES#<yyyy-mm-dd>`, `GSI2SK` = `<expires_at>#<id>` (the expiry job reads one day at a time) |
//! | mails of a day | `MAILS#APP#<app id>` or `MAILS#PARTNER#<partner id>` | `DAY#<yyyy-mm-dd>` | none; `sent` counts the access-request mails of that UTC day (issue 21), TTL two days after it |
//! | mailed marker | `MAILS#APP#<app id>` | `TO#<yyyy-mm-dd>#<sha256 of the address>` | none; that address got the application's mail that day, TTL as the counter |
//! | school access | `CLIENT#<client id>` | `ACCESS#<institution>` | `GSI1PK` = `SCHOOL#<institution>`, `GSI1SK` = `CLIENT#<client id>` (a school's applications); per API when and by whom it was granted; only while the client holds a scope there |

use async_trait::async_trait;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, Update};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::items::{ApplicationItem, ClientItem};
use super::keys::{self, Key, Log};
use super::transaction::Guard;
use super::{DynamoStore, Marker, from_item, log_items, to_item, ttl, unavailable};
use crate::domain::{
    AccessRequest, AccessRequestStatus, Application, ApplicationId, Change, Client, ClientId, Institution, LogEntry,
    MailBudget, MailLimit, PartnerId, SchoolAccess, TokenHash,
};
use crate::ports::{AccessStore, AccessWrite, RequestsStored, SchoolIndex, Stale, StoreError};

#[derive(Serialize, Deserialize)]
struct RequestItem {
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
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    request: AccessRequest,
}

impl RequestItem {
    fn new(r: &AccessRequest) -> Self {
        let pending = r.status == AccessRequestStatus::Pending;
        let Key { pk, sk } = keys::access_request(&r.token_hash);
        let by_application = keys::access_request_entry(&r.application_id, r.created_at, &r.id);
        let (gsi2pk, gsi2sk) = pending.then(|| keys::expiry_entry(r.expires_at, &r.id)).map(|k| (k.pk, k.sk)).unzip();
        Self {
            pk,
            sk,
            entity: "access_request".into(),
            version: r.version,
            gsi1pk: by_application.pk,
            gsi1sk: by_application.sk,
            gsi2pk,
            gsi2sk,
            request: r.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SchoolAccessItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    access: SchoolAccess,
}

impl SchoolAccessItem {
    fn new(a: &SchoolAccess) -> Self {
        let Key { pk, sk } = keys::school_access(&a.client_id, &a.institution);
        let by_school = keys::school_entry(&a.institution, &a.client_id);
        Self { pk, sk, entity: "school_access".into(), gsi1pk: by_school.pk, gsi1sk: by_school.sk, access: a.clone() }
    }
}

impl DynamoStore {
    /// Adds a school's index entry for a client unless it has one.
    pub(super) async fn index_school_access(&self, access: &SchoolAccess) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&SchoolAccessItem::new(access))?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// The access-request mails counted under one key on one day.
#[derive(Serialize, Deserialize)]
struct MailsItem {
    #[serde(default)]
    sent: u32,
}

/// Adds `n` mails to the day's counter at `key`, only while it stays at most `max`.
fn count_mails(key: &Key, n: u32, max: u32, budget: &MailBudget) -> UpdateBuilder {
    // With n > max no stored count leaves room; -1 makes the condition fail on a new counter too.
    let room = i64::from(max) - i64::from(n);
    Update::builder()
        .set_key(Some(key.item()))
        .update_expression("ADD sent :n SET entity = :entity, #ttl = :ttl")
        .condition_expression(if room < 0 { "sent <= :room" } else { "attribute_not_exists(sent) OR sent <= :room" })
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
        .expression_attribute_values(":room", AttributeValue::N(room.to_string()))
        .expression_attribute_values(":entity", AttributeValue::S("mails".into()))
        .expression_attribute_values(":ttl", AttributeValue::N(ttl(budget.expires_at).to_string()))
}

impl DynamoStore {
    /// The mails counted under `key` (0 when none were).
    async fn mails_sent(&self, key: Key) -> Result<u32, StoreError> {
        Ok(self.get::<MailsItem>(key).await?.map_or(0, |m| m.sent))
    }
}

#[async_trait]
impl AccessStore for DynamoStore {
    async fn create_access_requests(
        &self,
        requests: &[AccessRequest],
        log: &[LogEntry],
        budget: &MailBudget,
        change: &Change,
    ) -> Result<RequestsStored, StoreError> {
        let Some(first) = requests.first() else { return Ok(RequestsStored::Yes) };
        let n = u32::try_from(requests.len()).unwrap_or(u32::MAX);
        let app_mails = keys::application_mails(&first.application_id, budget.day);
        let partner_mails = keys::partner_mails(&first.partner_id, budget.day);
        // The partner is still active when the requests are stored (a deactivation at the same
        // moment wins, and no mail leaves).
        let active = ConditionCheck::builder()
            .set_key(Some(keys::profile(&first.partner_id).item()))
            .condition_expression("#profile.#active = :yes")
            .expression_attribute_names("#profile", "profile")
            .expression_attribute_names("#active", "active")
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        let mut t = self.transaction_for(change);
        t.check(Guard::PartnerActive, active)?;
        t.update(Guard::ApplicationMails, count_mails(&app_mails, n, budget.per_application, budget))?;
        t.update(Guard::PartnerMails, count_mails(&partner_mails, n, budget.per_partner, budget))?;
        for (i, r) in requests.iter().enumerate() {
            t.put_new(Guard::NewAccessRequest, to_item(&RequestItem::new(r))?)?;
            // That this address got the application's mail today.
            let marker =
                Marker::new(keys::mailed(&r.application_id, budget.day, &r.email), "mailed", budget.expires_at);
            t.put_new(Guard::NotMailedToday(i), to_item(&marker)?)?;
        }
        t.append_application_log(&first.partner_id, &first.application_id, log)?;
        let cancelled = match self.transact(t).await? {
            Ok(()) => return Ok(RequestsStored::Yes),
            Err(c) => c,
        };
        if cancelled.failed(Guard::PartnerActive) {
            return Ok(RequestsStored::PartnerInactive);
        }
        let again: Vec<_> = cancelled
            .failed_guards()
            .filter_map(|g| match g {
                Guard::NotMailedToday(i) => requests.get(i).map(|r| r.email.clone()),
                _ => None,
            })
            .collect();
        if !again.is_empty() {
            return Ok(RequestsStored::Limited(MailLimit::AlreadyMailed(again)));
        }
        // How many could still go today, read after the refusal: only for the message.
        if cancelled.failed(Guard::ApplicationMails) {
            let remaining = budget.per_application.saturating_sub(self.mails_sent(app_mails).await?);
            return Ok(RequestsStored::Limited(MailLimit::Application { remaining }));
        }
        if cancelled.failed(Guard::PartnerMails) {
            let remaining = budget.per_partner.saturating_sub(self.mails_sent(partner_mails).await?);
            return Ok(RequestsStored::Limited(MailLimit::Partner { remaining }));
        }
        Err(cancelled.into_error())
    }

    async fn append_application_log(
        &self,
        partner: &PartnerId,
        application: &ApplicationId,
        log: &[LogEntry],
    ) -> Result<(), StoreError> {
        for item in log_items(partner, Log::Application(application), log) {
            self.put_one(to_item(&item)?, None).await?;
        }
        Ok(())
    }

    async fn access_request(&self, hash: &TokenHash) -> Result<Option<AccessRequest>, StoreError> {
        Ok(self.get::<RequestItem>(keys::access_request(hash)).await?.map(|i| i.request))
    }

    async fn access_requests(&self, application: &ApplicationId) -> Result<Vec<AccessRequest>, StoreError> {
        let (items, _) =
            self.query_all(Some("GSI1"), "GSI1PK = :pk", &[(":pk", keys::access_requests_of(application))]).await?;
        items.into_iter().map(|item| Ok(from_item::<RequestItem>(item)?.request)).collect()
    }

    async fn write_access(&self, w: AccessWrite<'_>) -> Result<(), StoreError> {
        let (before, after) = w.client;
        let mut t = self.transaction_for(w.change);
        t.put_versioned(Stale::Client, to_item(&ClientItem::new(after))?, Some(before.version))?;
        if let Some((before, after)) = w.request {
            // The ports report a changed request as a changed application.
            t.put_versioned(Stale::Application, to_item(&RequestItem::new(after))?, Some(before.version))?;
        }
        match w.school {
            SchoolIndex::Put(school) => t.put_item(to_item(&SchoolAccessItem::new(school))?)?,
            SchoolIndex::Remove(institution) => t.delete(
                Guard::Unconditional,
                Delete::builder().set_key(Some(keys::school_access(&after.id, institution).item())),
            )?,
        };
        let (partner, app, log) = w.log;
        t.append_application_log(partner, app, log)?;
        self.transact_versioned(t).await
    }

    async fn school_access(&self, institution: &Institution) -> Result<Vec<SchoolAccess>, StoreError> {
        let (items, _) = self.query_all(Some("GSI1"), "GSI1PK = :pk", &[(":pk", keys::school(institution))]).await?;
        items.into_iter().map(|item| Ok(from_item::<SchoolAccessItem>(item)?.access)).collect()
    }

    async fn client_access(&self, client: &ClientId) -> Result<Vec<SchoolAccess>, StoreError> {
        let (items, _) = self
            .query_all(
                None,
                "PK = :pk AND begins_with(SK, :access)",
                &[(":pk", keys::client_partition(client)), (":access", keys::SCHOOL_ACCESS.into())],
            )
            .await?;
        items.into_iter().map(|item| Ok(from_item::<SchoolAccessItem>(item)?.access)).collect()
    }

    async fn clients(&self, ids: &[ClientId]) -> Result<Vec<Client>, StoreError> {
        let mut unique: Vec<&ClientId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let keys = unique.iter().map(|id| keys::client(id).item()).collect();
        self.batch_get(keys).await?.into_iter().map(|item| Ok(from_item::<ClientItem>(item)?.client)).collect()
    }

    async fn applications_by_keys(&self, keys: &[(PartnerId, ApplicationId)]) -> Result<Vec<Application>, StoreError> {
        let mut unique: Vec<&(PartnerId, ApplicationId)> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let keys = unique.iter().map(|(partner, app)| keys::application(partner, app).item()).collect();
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(|item| Ok(from_item::<ApplicationItem>(item)?.application))
            .collect()
    }

    async fn expiring(&self, day: NaiveDate, now: DateTime<Utc>) -> Result<(Vec<AccessRequest>, u64), StoreError> {
        // `#` sorts after every digit, so `<now>#` bounds every request that expired before now.
        let (items, read) = self
            .query_all(
                Some("GSI2"),
                "GSI2PK = :day AND GSI2SK <= :now",
                &[(":day", keys::expiring_on(day)), (":now", keys::expired_before(now))],
            )
            .await?;
        let requests = items
            .into_iter()
            .map(|item| Ok(from_item::<RequestItem>(item)?.request))
            .collect::<Result<_, StoreError>>()?;
        Ok((requests, read))
    }

    async fn expire(&self, request: &AccessRequest, log: &LogEntry, change: &Change) -> Result<bool, StoreError> {
        let expired =
            AccessRequest { status: AccessRequestStatus::Expired, version: request.version + 1, ..request.clone() };
        let put = Put::builder()
            .set_item(Some(to_item(&RequestItem::new(&expired))?))
            .condition_expression("#version = :v AND #request.#status = :pending")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#request", "request")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":v", AttributeValue::N(request.version.to_string()))
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()));
        let mut t = self.transaction_for(change);
        t.put(Guard::RequestPending, put)?;
        t.append_application_log(&request.partner_id, &request.application_id, std::slice::from_ref(log))?;
        match self.transact(t).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(Guard::RequestPending) => Ok(false),
            Err(c) => Err(c.into_error()),
        }
    }
}
