//! Audit log entries (api.md LogEntry): one per changed property, who and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogAction {
    Created,
    Updated,
    Removed,
    Sent,
    Granted,
    Revoked,
    Expired,
    Approved,
    Rejected,
    Archived,
    Linked,
}

/// Who moderation log entries name (api.md LogEntry `user`).
pub const INFORMAT: &str = "Informat";
/// Who the portal's own entries name (the expiry job, a failed send).
pub const SYSTEM: &str = "systeem";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    pub action: LogAction,
    /// The property as the portal shows it (Dutch), e.g. "Naam".
    pub property: String,
    /// The email of who did it, or "Informat" / "systeem".
    pub user: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl LogEntry {
    pub fn new(
        at: DateTime<Utc>,
        action: LogAction,
        property: &str,
        user: &str,
        from: Option<String>,
        to: Option<String>,
    ) -> Self {
        Self { at, action, property: property.to_owned(), user: user.to_owned(), from, to }
    }
}
