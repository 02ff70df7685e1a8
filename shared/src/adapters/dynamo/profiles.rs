//! Partner profiles, their name and slug guards, and the public directory (ProfileStore).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete};
use serde::{Deserialize, Serialize};

use super::items::{MemberItem, ProfileItem, cursor_of, start_of};
use super::keys::{self, Key, Log};
use super::transaction::Guard;
use super::{DynamoStore, from_item, log_items, to_item, unavailable};
use crate::domain::{Account, Change, LogEntry, PartnerId, Profile};
use crate::ports::{
    DirectoryFilter, Page, ProfileCreated, ProfileStore, ProfileUpdated, Resubmission, Stale, StoreError,
};

#[derive(Serialize, Deserialize)]
struct GuardItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    partner_id: PartnerId,
}

impl DynamoStore {
    /// Replaces `before` by `after` (conditional on its version), moves the name guard when the
    /// name changed, writes the log, and writes each application in `applications` (conditional
    /// on its version) with its log: one transaction. DynamoDB takes up to 100 items in one.
    async fn write_profile(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
        change: &Change,
    ) -> Result<ProfileUpdated, StoreError> {
        let mut t = self.transaction_for(change);
        t.put_versioned(Stale::Profile, to_item(&ProfileItem::new(after))?, Some(before.version))?;
        let (old_key, new_key) = (before.fields.name.key(), after.fields.name.key());
        if old_key != new_key {
            // Release the old name (only if it is still ours) and take the new one.
            let release = Delete::builder()
                .set_key(Some(keys::profile_name(&old_key).item()))
                .condition_expression("partner_id = :me")
                .expression_attribute_values(":me", AttributeValue::S(after.id.to_string()));
            let Key { pk, sk } = keys::profile_name(&new_key);
            let guard = GuardItem { pk, sk, entity: "name_guard".into(), partner_id: after.id.clone() };
            t.delete(Guard::NameStillOurs, release)?.put_new(Guard::NameFree, to_item(&guard)?)?;
        }
        for item in log_items(&after.id, Log::Profile, log) {
            t.put_item(to_item(&item)?)?;
        }
        for r in applications {
            t.resubmit(r)?;
        }
        match self.transact(t).await? {
            Ok(()) => Ok(ProfileUpdated::Yes),
            Err(c) if c.failed(Guard::Version(Stale::Profile)) => Err(StoreError::Stale(Stale::Profile)),
            Err(c) if c.failed(Guard::NameFree) => Ok(ProfileUpdated::NameTaken),
            Err(c) if c.failed(Guard::Version(Stale::Application)) => Err(StoreError::Stale(Stale::Application)),
            Err(c) => Err(c.into_error()),
        }
    }
}

#[async_trait]
impl ProfileStore for DynamoStore {
    async fn create_profile(
        &self,
        profile: &Profile,
        creator: &Account,
        log: &[LogEntry],
        change: &Change,
    ) -> Result<ProfileCreated, StoreError> {
        let name_key = profile.fields.name.key();
        let item = ProfileItem::new(profile);
        let guard =
            |Key { pk, sk }, entity: &str| GuardItem { pk, sk, entity: entity.into(), partner_id: profile.id.clone() };
        let Key { pk, sk } = keys::member(&profile.id, &creator.id);
        let member = MemberItem {
            pk,
            sk,
            entity: "member".into(),
            account_id: creator.id.clone(),
            email: creator.email.clone(),
            linked_at: profile.created_at,
        };
        let mut t = self.transaction_for(change);
        t.put_new(Guard::NewProfile, to_item(&item)?)?
            .put_new(Guard::NameFree, to_item(&guard(keys::profile_name(&name_key), "name_guard"))?)?
            .put_new(Guard::SlugFree, to_item(&guard(keys::slug(&profile.slug), "slug_guard"))?)?;
        t.link_account(&creator.id, &profile.id)?;
        t.put_new(Guard::NewMember, to_item(&member)?)?;
        for item in log_items(&profile.id, Log::Profile, log) {
            t.put_item(to_item(&item)?)?;
        }
        match self.transact(t).await? {
            Ok(()) => Ok(ProfileCreated::Yes),
            Err(c) if c.failed(Guard::NameFree) => Ok(ProfileCreated::NameTaken),
            Err(c) if c.failed(Guard::AccountUnlinked) => Ok(ProfileCreated::AccountAlreadyLinked),
            Err(c) if c.failed(Guard::SlugFree) => Ok(ProfileCreated::SlugTaken),
            Err(c) => Err(c.into_error()),
        }
    }

    async fn profile(&self, id: &PartnerId) -> Result<Option<Profile>, StoreError> {
        Ok(self.get::<ProfileItem>(keys::profile(id)).await?.map(|i| i.profile))
    }

    async fn update_profile_resubmitting(
        &self,
        before: &Profile,
        after: &Profile,
        log: &[LogEntry],
        applications: &[Resubmission<'_>],
        change: &Change,
    ) -> Result<ProfileUpdated, StoreError> {
        self.write_profile(before, after, log, applications, change).await
    }

    async fn profile_log(
        &self,
        id: &PartnerId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<LogEntry>, StoreError> {
        self.log_page(id, Log::Profile, limit, cursor).await
    }

    async fn profiles(&self, ids: &[PartnerId]) -> Result<Vec<Profile>, StoreError> {
        let mut unique: Vec<&PartnerId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let keys = unique.iter().map(|id| keys::profile(id).item()).collect();
        self.batch_get(keys).await?.into_iter().map(|item| Ok(from_item::<ProfileItem>(item)?.profile)).collect()
    }

    async fn profile_by_slug(&self, slug: &str) -> Result<Option<Profile>, StoreError> {
        match self.get::<GuardItem>(keys::slug(slug)).await? {
            Some(guard) => self.profile(&guard.partner_id).await,
            None => Ok(None),
        }
    }

    async fn directory(
        &self,
        filter: &DirectoryFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Profile>, StoreError> {
        let mut start = start_of(cursor, keys::is_directory_cursor)?;
        // The filter only ever reads listed profiles (the index is sparse). Without a filter one
        // Query reads the page and one more item, to know whether a next page exists.
        let mut conditions = Vec::new();
        let mut values = HashMap::from([(":dir".to_owned(), AttributeValue::S(keys::DIRECTORY.into()))]);
        if let Some(category) = &filter.category {
            conditions.push("contains(directory_categories, :category)".to_owned());
            values.insert(":category".into(), AttributeValue::S(format!(" {} ", category.as_str())));
        }
        for (n, word) in filter.words.iter().enumerate() {
            conditions.push(format!("contains(directory_text, :w{n})"));
            values.insert(format!(":w{n}"), AttributeValue::S(word.clone()));
        }
        let wanted = usize::try_from(limit).unwrap_or(100);
        let per_request = if conditions.is_empty() { limit + 1 } else { (limit + 1).max(100) };
        let mut found: Vec<ProfileItem> = Vec::new();
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("GSI2")
                .key_condition_expression("GSI2PK = :dir")
                .set_filter_expression((!conditions.is_empty()).then(|| conditions.join(" AND ")))
                .set_expression_attribute_values(Some(values.clone()))
                .limit(i32::try_from(per_request).unwrap_or(101))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if found.len() > wanted || start.is_none() {
                break;
            }
        }
        let next_cursor = if found.len() > wanted {
            found.truncate(wanted);
            cursor_of(
                found.last().map(|last| keys::directory_cursor(last.profile.fields.name.as_str(), &last.profile.id)),
            )
        } else {
            None
        };
        Ok(Page { items: found.into_iter().map(|i| i.profile).collect(), next_cursor })
    }
}
