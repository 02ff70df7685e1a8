//! What the table holds, as the adapters read and write it: the item structs that more than one
//! store module needs, and the one codec of the lists' pagination cursors. Each store module
//! (accounts, profiles, applications, ...) uses these and no other store module.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{self, Key};
use crate::domain::{AccountId, Application, ApplicationId, Client, Email, PartnerId, Profile, search_text};
use crate::ports::{Attempts, StoreError};

type Item = HashMap<String, AttributeValue>;

#[derive(Serialize, Deserialize)]
pub(super) struct ApplicationItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) version: u64,
    #[serde(rename = "GSI1PK")]
    pub(super) gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub(super) gsi1sk: String,
    #[serde(rename = "GSI3PK")]
    pub(super) gsi3pk: String,
    #[serde(rename = "GSI3SK")]
    pub(super) gsi3sk: String,
    pub(super) application: Application,
}

impl ApplicationItem {
    pub(super) fn new(app: &Application) -> Self {
        let Key { pk, sk } = keys::application(&app.partner_id, &app.id);
        let queue = keys::review_queue_entry(app.status, app.created_at, &app.id);
        let by_id = keys::application_by_id(&app.id);
        Self {
            pk,
            sk,
            entity: "application".into(),
            version: app.version,
            gsi1pk: queue.pk,
            gsi1sk: queue.sk,
            gsi3pk: by_id.pk,
            gsi3sk: by_id.sk,
            application: app.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct ClientItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) application_id: Option<ApplicationId>,
    pub(super) client: Client,
}

impl ClientItem {
    pub(super) fn new(client: &Client) -> Self {
        let Key { pk, sk } = keys::client(&client.id);
        Self {
            pk,
            sk,
            entity: "client".into(),
            version: client.version,
            application_id: client.application_id.clone(),
            client: client.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct ProfileItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) name_key: String,
    /// The profile's version, at the top level so conditions can name it.
    pub(super) version: u64,
    /// The directory index's keys and the attributes its filters read: present only while the
    /// profile is listed, so GSI2 is sparse and holds exactly the directory.
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi2sk: Option<String>,
    /// Name and description, folded by `search_text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) directory_text: Option<String>,
    /// The category codes between spaces (" communiceren hrm "), so `contains` matches whole codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) directory_categories: Option<String>,
    pub(super) profile: Profile,
}

impl ProfileItem {
    pub(super) fn new(profile: &Profile) -> Self {
        let listed = profile.is_listed();
        let fields = &profile.fields;
        let Key { pk, sk } = keys::profile(&profile.id);
        let (gsi2pk, gsi2sk) =
            listed.then(|| keys::directory_entry(fields.name.as_str(), &profile.id)).map(|k| (k.pk, k.sk)).unzip();
        Self {
            pk,
            sk,
            entity: "profile".into(),
            name_key: fields.name.key(),
            version: profile.version,
            gsi2pk,
            gsi2sk,
            directory_text: listed.then(|| search_text(&format!("{} {}", fields.name.as_str(), fields.description))),
            directory_categories: listed
                .then(|| format!(" {} ", fields.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" "))),
            profile: profile.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct AttemptsItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) failures: u32,
    pub(super) window_started_epoch: i64,
    pub(super) ttl: i64,
}

impl AttemptsItem {
    pub(super) fn attempts(&self) -> Attempts {
        Attempts {
            failures: self.failures,
            window_started_at: DateTime::from_timestamp(self.window_started_epoch, 0).unwrap_or_default(),
        }
    }
}

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
pub(super) struct InvitationItem {
    #[serde(rename = "PK")]
    pub(super) pk: String,
    #[serde(rename = "SK")]
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) partner_id: PartnerId,
    pub(super) invited_by: Email,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) expires_epoch: i64,
    pub(super) ttl: i64,
}

/// Encodes the last key of a Query page as an opaque cursor, and reads it back (checking that
/// it names an item of the same list).
pub(super) fn cursor_of(last: Option<Item>) -> Option<String> {
    let last = last?;
    let json: serde_json::Map<String, serde_json::Value> = last
        .into_iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k, serde_json::Value::String(s.clone()))))
        .collect();
    serde_json::to_vec(&json).ok().map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

pub(super) fn start_of(cursor: Option<&str>, expect: impl Fn(&Item) -> bool) -> Result<Option<Item>, StoreError> {
    let Some(raw) = cursor else { return Ok(None) };
    let map: serde_json::Map<String, serde_json::Value> = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(StoreError::InvalidCursor)?;
    let item: Item = map
        .into_iter()
        .map(|(k, v)| v.as_str().map(|s| (k, AttributeValue::S(s.to_owned()))).ok_or(StoreError::InvalidCursor))
        .collect::<Result<_, _>>()?;
    if expect(&item) { Ok(Some(item)) } else { Err(StoreError::InvalidCursor) }
}
