//! The scheduled function: EventBridge invokes it daily to expire access requests whose month
//! is over. "Now" is the event's `time`, so a retried or replayed event does the same work.

use chrono::{DateTime, Utc};
use portal::access::{self, ExpiryRun};
use portal::{AppError, Deps};
use serde_json::Value;

/// The scheduled job's entry: the EventBridge event (`{"time": "2026-11-22T03:00:00Z", ...}`);
/// the answer is what the run did.
pub async fn expire_access_requests(deps: &Deps, event: Value) -> Result<ExpiryRun, AppError> {
    let now = event
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::InvalidRequest("the event has no RFC 3339 'time'".into()))?;
    access::expire_requests(deps, now).await
}
