//! Every key of the table and of its indexes, built here and nowhere else: one function per item
//! (its `PK` and `SK`), per index entry (its `GSInPK` and `GSInSK`), and per partition or prefix
//! that a Query reads. The item table in the parent module describes what each item holds.
//!
//! The tests pin each key's stored form: the items in the table carry these strings, so a
//! changed format would strand them.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use super::{Item, s};
use crate::domain::{
    AccessRequestId, AccountId, ApplicationId, ApplicationStatus, ClientId, Email, Institution, PartnerId, TokenHash,
    search_text,
};

/// Times in sort keys: fixed width, so they sort as text.
const TIME: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A partition key and a sort key: of the table (`PK`, `SK`) or of an index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) pk: String,
    pub(super) sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }

    /// As the table's key attributes, for GetItem, UpdateItem, DeleteItem and the like.
    pub(super) fn item(&self) -> Item {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S(self.pk.clone())),
            ("SK".to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

// ---- Accounts and the counters ----

pub(super) fn account(id: &AccountId) -> Key {
    Key::new(format!("ACCOUNT#{id}"), "ACCOUNT")
}

/// The guard that makes an address unique.
pub(super) fn email(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

/// A single-use link token, by the hash of its secret.
pub(super) fn token(hash: &TokenHash) -> Key {
    Key::new(format!("TOKEN#{}", hash.as_str()), "TOKEN")
}

/// A back-office user's reset token, by the hash of its secret.
pub(super) fn staff_reset(hash: &TokenHash) -> Key {
    Key::new(format!("STAFFRESET#{}", hash.as_str()), "STAFFRESET")
}

/// The newest reset token of a back-office user, by the user's address.
pub(super) fn staff_newest_reset(email: &Email) -> Key {
    Key::new(format!("STAFFUSER#{email}"), "NEWESTRESET")
}

/// The failed attempts counted under `key` (an address, an account, ...).
pub(super) fn attempts(key: &str) -> Key {
    Key::new(format!("ATTEMPTS#{key}"), "ATTEMPTS")
}

/// The uses counted under `key` (the mails sent to an address).
pub(super) fn uses(key: &str) -> Key {
    Key::new(format!("USES#{key}"), "USES")
}

/// What was counted under `key` on one UTC day.
pub(super) fn daily(key: &str, day: NaiveDate) -> Key {
    Key::new(format!("DAILY#{key}"), format!("DAY#{day}"))
}

// ---- A partner's partition: its profile, members, applications and logs ----

pub(super) fn partner(id: &PartnerId) -> String {
    format!("PARTNER#{id}")
}

pub(super) fn profile(id: &PartnerId) -> Key {
    Key::new(partner(id), "PROFILE")
}

/// The SK prefix of a partner's members.
pub(super) const MEMBERS: &str = "MEMBER#";

pub(super) fn member(partner_id: &PartnerId, account: &AccountId) -> Key {
    Key::new(partner(partner_id), format!("{MEMBERS}{account}"))
}

/// The SK prefix of a partner's applications.
pub(super) const APPLICATIONS: &str = "APP#";

pub(super) fn application(partner_id: &PartnerId, id: &ApplicationId) -> Key {
    Key::new(partner(partner_id), format!("{APPLICATIONS}{id}"))
}

/// Whose log an entry belongs to; both logs are in the partner's partition.
#[derive(Debug, Clone, Copy)]
pub(super) enum Log<'a> {
    Profile,
    Application(&'a ApplicationId),
}

impl Log<'_> {
    /// The SK prefix of the log's entries.
    pub(super) fn prefix(self) -> String {
        match self {
            Self::Profile => "LOG#".to_owned(),
            Self::Application(id) => format!("APPLOG#{id}#"),
        }
    }
}

/// Entry `n` of one change, written at `at`. A log is read newest first (a reverse Query), and
/// the entries of one change keep their order, so the number counts down from 99. `tail` (a few
/// random characters) keeps two writes at the same instant from overwriting each other.
pub(super) fn log_entry(partner_id: &PartnerId, log: Log<'_>, at: DateTime<Utc>, n: usize, tail: &str) -> Key {
    Key::new(partner(partner_id), format!("{}{}#{:02}#{tail}", log.prefix(), at.format(TIME), 99 - n.min(99)))
}

// ---- Guards that make a name, a slug unique; invitation codes ----

/// The guard that makes a profile name unique, by its `Name::key`.
pub(super) fn profile_name(name_key: &str) -> Key {
    Key::new(format!("PROFILENAME#{name_key}"), "PROFILENAME")
}

/// The guard that makes a profile's public URL unique.
pub(super) fn slug(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

pub(super) fn invitation(hash: &TokenHash) -> Key {
    Key::new(format!("INVITATION#{}", hash.as_str()), "INVITATION")
}

// ---- A client's partition: the client, its failure counter, used assertions, school access ----

pub(super) fn client_partition(id: &ClientId) -> String {
    format!("CLIENT#{id}")
}

pub(super) fn client(id: &ClientId) -> Key {
    Key::new(client_partition(id), "CLIENT")
}

/// The SK prefix the token endpoint reads: the client and its failure counter, in one Query.
pub(super) const CLIENT_AND_FAILURES: &str = "CLIENT";

/// The failed client authentications at the token endpoint.
pub(super) fn client_failures(id: &ClientId) -> Key {
    Key::new(client_partition(id), "CLIENT#FAILURES")
}

/// A `private_key_jwt` assertion seen, by the SHA-256 of its `jti`.
pub(super) fn used_assertion(id: &ClientId, jti: &str) -> Key {
    Key::new(client_partition(id), format!("JTI#{}", hex::encode(Sha256::digest(jti.as_bytes()))))
}

/// The SK prefix of a client's school access.
pub(super) const SCHOOL_ACCESS: &str = "ACCESS#";

pub(super) fn school_access(client_id: &ClientId, institution: &Institution) -> Key {
    Key::new(client_partition(client_id), format!("{SCHOOL_ACCESS}{}", institution.as_str()))
}

/// An access request, by the hash of its link token.
pub(super) fn access_request(hash: &TokenHash) -> Key {
    Key::new(format!("ACCESSREQ#{}", hash.as_str()), "ACCESSREQ")
}

/// The access-request mails an application sent on one UTC day (a counter).
pub(super) fn application_mails(application: &ApplicationId, day: NaiveDate) -> Key {
    Key::new(format!("MAILS#APP#{application}"), format!("DAY#{day}"))
}

/// The access-request mails a partner sent on one UTC day, all applications together.
pub(super) fn partner_mails(partner: &PartnerId, day: NaiveDate) -> Key {
    Key::new(format!("MAILS#PARTNER#{partner}"), format!("DAY#{day}"))
}

/// That an address got an application's access-request mail on one UTC day, by the SHA-256 of
/// the address (the request item holds the address; the marker needs only to be unique).
pub(super) fn mailed(application: &ApplicationId, day: NaiveDate, email: &Email) -> Key {
    Key::new(
        format!("MAILS#APP#{application}"),
        format!("TO#{day}#{}", hex::encode(Sha256::digest(email.as_str().as_bytes()))),
    )
}

// ---- GSI1: the review queue, an application's access requests, a school's applications ----

/// The review queue of one status.
pub(super) fn review_queue(status: ApplicationStatus) -> String {
    format!("APPSTATUS#{}", status.code())
}

/// An application's place in its status's queue: oldest first.
pub(super) fn review_queue_entry(status: ApplicationStatus, created_at: DateTime<Utc>, id: &ApplicationId) -> Key {
    Key::new(review_queue(status), format!("{}#{id}", created_at.format(TIME)))
}

/// Whether a cursor's key is an application's in the review queue of `status`.
pub(super) fn is_review_queue_cursor(key: &Item, status: ApplicationStatus) -> bool {
    s(key, "GSI1PK") == review_queue(status) && s(key, "SK").starts_with(APPLICATIONS)
}

/// The access requests of one application.
pub(super) fn access_requests_of(application: &ApplicationId) -> String {
    format!("APPREQ#{application}")
}

pub(super) fn access_request_entry(
    application: &ApplicationId,
    created_at: DateTime<Utc>,
    id: &AccessRequestId,
) -> Key {
    Key::new(access_requests_of(application), format!("{}#{id}", created_at.format(TIME)))
}

/// The applications with access at one school.
pub(super) fn school(institution: &Institution) -> String {
    format!("SCHOOL#{}", institution.as_str())
}

pub(super) fn school_entry(institution: &Institution, client_id: &ClientId) -> Key {
    Key::new(school(institution), client_partition(client_id))
}

// ---- GSI2: the public directory; the access requests by the day they expire ----

/// The directory's one partition: every listed profile, and nothing else.
pub(super) const DIRECTORY: &str = "DIRECTORY";

/// A listed profile's place in the directory: by name, folded by `search_text` (so "École"
/// sorts with "e"); the id keeps the keys unique.
pub(super) fn directory_entry(name: &str, id: &PartnerId) -> Key {
    Key::new(DIRECTORY.to_owned(), format!("{}#{id}", search_text(name)))
}

/// The directory index's key of a listed profile: where the next page continues.
pub(super) fn directory_cursor(name: &str, id: &PartnerId) -> Item {
    let mut start = profile(id).item();
    let entry = directory_entry(name, id);
    start.insert("GSI2PK".into(), AttributeValue::S(entry.pk));
    start.insert("GSI2SK".into(), AttributeValue::S(entry.sk));
    start
}

/// Whether a cursor's key is a directory key: the index's partition, a profile, and a sort key
/// that ends with that profile's id.
pub(super) fn is_directory_cursor(key: &Item) -> bool {
    let partner = s(key, "PK").strip_prefix("PARTNER#").filter(|id| PartnerId::parse(id).is_some());
    key.len() == 4
        && s(key, "GSI2PK") == DIRECTORY
        && s(key, "SK") == "PROFILE"
        && partner.is_some_and(|id| s(key, "GSI2SK").ends_with(&format!("#{id}")))
}

/// The pending access requests that expire on `day`.
pub(super) fn expiring_on(day: NaiveDate) -> String {
    format!("EXPIRES#{}", day.format("%Y-%m-%d"))
}

pub(super) fn expiry_entry(expires_at: DateTime<Utc>, id: &AccessRequestId) -> Key {
    Key::new(expiring_on(expires_at.date_naive()), format!("{}#{id}", expires_at.format(TIME)))
}

/// The upper bound of the expiry entries that expired before `now` (`#` sorts after every digit).
pub(super) fn expired_before(now: DateTime<Utc>) -> String {
    format!("{}#", now.format(TIME))
}

// ---- GSI3: an application by its id alone ----

pub(super) fn application_by_id(id: &ApplicationId) -> Key {
    Key::new(format!("{APPLICATIONS}{id}"), "APP")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const PARTNER: &str = "6f1c3a1e-0000-4000-8000-000000000001";
    const APP: &str = "0b9b2c44-0000-4000-8000-000000000002";

    fn partner_id() -> PartnerId {
        PartnerId::parse(PARTNER).expect("a partner id")
    }
    fn app() -> ApplicationId {
        ApplicationId::parse(APP).expect("an application id")
    }
    fn hash() -> TokenHash {
        serde_json::from_value(serde_json::json!("ab12")).expect("a hash")
    }
    fn request_id() -> AccessRequestId {
        serde_json::from_value(serde_json::json!("req-1")).expect("a request id")
    }
    fn client_id() -> ClientId {
        ClientId::parse("informat_customer_school").expect("a client id")
    }
    fn school_id() -> Institution {
        Institution::parse("123456").expect("an institution")
    }
    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).single().expect("a time") + chrono::Duration::microseconds(89)
    }
    fn pinned(key: Key, pk: &str, sk: &str) {
        assert_eq!((key.pk.as_str(), key.sk.as_str()), (pk, sk));
    }

    #[test]
    fn the_table_keys_keep_their_stored_form() {
        let account = AccountId::parse("0f3e-sub").expect("an account id");
        let email = Email::parse("email", "Jan@Example.be").expect("an address");
        pinned(super::account(&account), "ACCOUNT#0f3e-sub", "ACCOUNT");
        pinned(super::email(&email), "EMAIL#jan@example.be", "EMAIL");
        pinned(token(&hash()), "TOKEN#ab12", "TOKEN");
        pinned(staff_reset(&hash()), "STAFFRESET#ab12", "STAFFRESET");
        pinned(staff_newest_reset(&email), "STAFFUSER#jan@example.be", "NEWESTRESET");
        pinned(attempts("signin:jan@example.be"), "ATTEMPTS#signin:jan@example.be", "ATTEMPTS");
        pinned(uses("mail:jan@example.be"), "USES#mail:jan@example.be", "USES");
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a day");
        pinned(daily("contact-mail#ab12", day), "DAILY#contact-mail#ab12", "DAY#2026-12-07");
        assert_eq!(partner(&partner_id()), format!("PARTNER#{PARTNER}"));
        pinned(profile(&partner_id()), &format!("PARTNER#{PARTNER}"), "PROFILE");
        pinned(member(&partner_id(), &account), &format!("PARTNER#{PARTNER}"), "MEMBER#0f3e-sub");
        pinned(application(&partner_id(), &app()), &format!("PARTNER#{PARTNER}"), &format!("APP#{APP}"));
        pinned(profile_name("acme"), "PROFILENAME#acme", "PROFILENAME");
        pinned(slug("acme-nv"), "SLUG#acme-nv", "SLUG");
        pinned(invitation(&hash()), "INVITATION#ab12", "INVITATION");
        pinned(client(&client_id()), "CLIENT#informat_customer_school", "CLIENT");
        pinned(client_failures(&client_id()), "CLIENT#informat_customer_school", "CLIENT#FAILURES");
        pinned(
            used_assertion(&client_id(), "jti-1"),
            "CLIENT#informat_customer_school",
            &format!("JTI#{}", hex::encode(Sha256::digest(b"jti-1"))),
        );
        pinned(school_access(&client_id(), &school_id()), "CLIENT#informat_customer_school", "ACCESS#123456");
        pinned(access_request(&hash()), "ACCESSREQ#ab12", "ACCESSREQ");
        pinned(application_mails(&app(), day), &format!("MAILS#APP#{APP}"), "DAY#2026-12-07");
        pinned(partner_mails(&partner_id(), day), &format!("MAILS#PARTNER#{PARTNER}"), "DAY#2026-12-07");
        pinned(
            mailed(&app(), day, &email),
            &format!("MAILS#APP#{APP}"),
            &format!("TO#2026-12-07#{}", hex::encode(Sha256::digest(b"jan@example.be"))),
        );
    }

    #[test]
    fn the_prefixes_match_the_keys_they_select() {
        let account = AccountId::parse("sub").expect("an account id");
        assert!(member(&partner_id(), &account).sk.starts_with(MEMBERS));
        assert!(application(&partner_id(), &app()).sk.starts_with(APPLICATIONS));
        assert!(client(&client_id()).sk.starts_with(CLIENT_AND_FAILURES));
        assert!(client_failures(&client_id()).sk.starts_with(CLIENT_AND_FAILURES));
        assert!(school_access(&client_id(), &school_id()).sk.starts_with(SCHOOL_ACCESS));
        assert_eq!(
            (MEMBERS, APPLICATIONS, CLIENT_AND_FAILURES, SCHOOL_ACCESS),
            ("MEMBER#", "APP#", "CLIENT", "ACCESS#")
        );
    }

    #[test]
    fn log_entries_sort_newest_first_under_their_log() {
        let profile_log = log_entry(&partner_id(), Log::Profile, at(), 0, "1a2b3c4d");
        pinned(profile_log, &format!("PARTNER#{PARTNER}"), "LOG#2026-03-04T05:06:07.000089Z#99#1a2b3c4d");
        let app_log = log_entry(&partner_id(), Log::Application(&app()), at(), 2, "1a2b3c4d");
        pinned(
            app_log,
            &format!("PARTNER#{PARTNER}"),
            &format!("APPLOG#{APP}#2026-03-04T05:06:07.000089Z#97#1a2b3c4d"),
        );
        assert_eq!(log_entry(&partner_id(), Log::Profile, at(), 500, "x").sk, "LOG#2026-03-04T05:06:07.000089Z#00#x");
        assert_eq!(Log::Profile.prefix(), "LOG#");
        assert_eq!(Log::Application(&app()).prefix(), format!("APPLOG#{APP}#"));
    }

    #[test]
    fn the_index_keys_keep_their_stored_form() {
        pinned(
            review_queue_entry(ApplicationStatus::New, at(), &app()),
            "APPSTATUS#new",
            &format!("2026-03-04T05:06:07.000089Z#{APP}"),
        );
        pinned(
            access_request_entry(&app(), at(), &request_id()),
            &format!("APPREQ#{APP}"),
            "2026-03-04T05:06:07.000089Z#req-1",
        );
        pinned(school_entry(&school_id(), &client_id()), "SCHOOL#123456", "CLIENT#informat_customer_school");
        pinned(directory_entry("École  Acme", &partner_id()), "DIRECTORY", &format!("ecole acme#{PARTNER}"));
        pinned(expiry_entry(at(), &request_id()), "EXPIRES#2026-03-04", "2026-03-04T05:06:07.000089Z#req-1");
        assert_eq!(expired_before(at()), "2026-03-04T05:06:07.000089Z#");
        pinned(application_by_id(&app()), &format!("APP#{APP}"), "APP");
    }

    #[test]
    fn cursors_are_checked_against_the_key_shape_of_their_list() {
        let directory = directory_cursor("Acme", &partner_id());
        assert!(is_directory_cursor(&directory));
        let mut other = directory.clone();
        other.insert("GSI2SK".into(), AttributeValue::S("acme#someone-else".into()));
        assert!(!is_directory_cursor(&other));
        assert!(!is_directory_cursor(&profile(&partner_id()).item()));

        let mut queued = application(&partner_id(), &app()).item();
        queued.insert("GSI1PK".into(), AttributeValue::S(review_queue(ApplicationStatus::New)));
        assert!(is_review_queue_cursor(&queued, ApplicationStatus::New));
        assert!(!is_review_queue_cursor(&queued, ApplicationStatus::Approved));
        assert!(!is_review_queue_cursor(&directory, ApplicationStatus::New));
    }
}
