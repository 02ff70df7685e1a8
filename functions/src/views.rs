//! The envelopes every list answer shares (api.md conventions); each handler module holds the
//! views of its own answers.

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
