//! The views that more than one handler module answers with: the envelopes every list shares
//! (api.md conventions), the Profile, the partner's name, the public partner and the log entry.
//! Each handler module holds the views of its own answers and imports no other handler module.

use lambda_http::http::StatusCode;
use portal::config::Config;
use portal::domain::{
    Address, Category, Email, EnterpriseNumber, LogAction, LogEntry, PartnerId, Profile, ProfileName, Website,
};
use portal::http::{HttpResult, json, timestamp};
use portal::operations::profiles::logo_url;
use serde::Serialize;

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Serialize)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Every item at once: `next_cursor` is null.
    pub fn complete(items: Vec<T>) -> Self {
        Self { items, next_cursor: None }
    }
}

/// A list that is never paged: `{"items": [...]}`.
#[derive(Serialize)]
pub(crate) struct Items<T> {
    pub items: Vec<T>,
}

/// The Profile of api.md.
#[derive(Serialize)]
pub(crate) struct ProfileView<'a> {
    id: &'a PartnerId,
    slug: &'a str,
    name: &'a ProfileName,
    enterprise_number: Option<&'a EnterpriseNumber>,
    description: &'a str,
    email: &'a Email,
    contact_name: &'a str,
    address: &'a Address,
    public: bool,
    categories: &'a [Category],
    website: &'a Website,
    logo_url: Option<String>,
    extra_info: Option<&'a str>,
    active: bool,
    created_at: String,
    updated_at: String,
    version: u64,
}

impl<'a> ProfileView<'a> {
    pub(crate) fn new(config: &Config, p: &'a Profile) -> Self {
        let f = &p.fields;
        Self {
            id: &p.id,
            slug: &p.slug,
            name: &f.name,
            enterprise_number: f.enterprise_number.as_ref(),
            description: &f.description,
            email: &p.email,
            contact_name: &f.contact_name,
            address: &f.address,
            public: f.public,
            categories: &f.categories,
            website: &f.website,
            logo_url: logo_url(config, p),
            extra_info: f.extra_info.as_deref(),
            active: p.active,
            created_at: timestamp(p.created_at),
            updated_at: timestamp(p.updated_at),
            version: p.version,
        }
    }
}

/// A partner by id and name.
#[derive(Serialize)]
pub(crate) struct PartnerNameView<'a> {
    id: &'a PartnerId,
    name: &'a ProfileName,
}

impl<'a> From<&'a Profile> for PartnerNameView<'a> {
    fn from(p: &'a Profile) -> Self {
        Self { id: &p.id, name: &p.fields.name }
    }
}

/// PublicPartner: the manual's asterisked fields, never email, contact, enterprise number or address.
#[derive(Serialize)]
pub(crate) struct PublicPartnerView<'a> {
    slug: &'a str,
    name: &'a ProfileName,
    description: &'a str,
    categories: &'a [Category],
    website: &'a Website,
    logo_url: Option<String>,
    extra_info: Option<&'a str>,
}

impl<'a> PublicPartnerView<'a> {
    pub(crate) fn new(config: &Config, p: &'a Profile) -> Self {
        let f = &p.fields;
        Self {
            slug: &p.slug,
            name: &f.name,
            description: &f.description,
            categories: &f.categories,
            website: &f.website,
            logo_url: logo_url(config, p),
            extra_info: f.extra_info.as_deref(),
        }
    }
}

/// A LogEntry of api.md, for profiles and applications alike.
#[derive(Serialize)]
pub(crate) struct LogEntryView<'a> {
    at: String,
    action: &'a LogAction,
    property: &'a str,
    user: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

impl<'a> From<&'a LogEntry> for LogEntryView<'a> {
    fn from(e: &'a LogEntry) -> Self {
        Self {
            at: timestamp(e.at),
            action: &e.action,
            property: &e.property,
            user: &e.user,
            from: e.from.as_deref(),
            to: e.to.as_deref(),
        }
    }
}

/// A page of LogEntry (api.md), for profiles and applications alike.
pub(crate) fn log_page(page: portal::ports::Page<LogEntry>) -> HttpResult {
    let items = page.items.iter().map(LogEntryView::from).collect();
    json(StatusCode::OK, &Page { items, next_cursor: page.next_cursor })
}
