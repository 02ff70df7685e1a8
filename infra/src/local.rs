//! What only the local stack has: a clock that can be moved forward and a record of sent mail.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use portal::ports::{Clock, MailError, Mailer, OutgoingMail};
use serde::Serialize;

/// The wall clock plus an offset that `POST /_local/clock` moves forward.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_seconds: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, seconds: i64) -> DateTime<Utc> {
        self.offset_seconds.fetch_add(seconds, Ordering::SeqCst);
        self.now()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SentMail {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: DateTime<Utc>,
}

/// Sends through the real mailer (SES on the emulator) and keeps what was sent, both parts,
/// for `GET /_local/mails` (the emulator keeps only one body part).
pub struct RecordingMailer {
    inner: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    sent: Mutex<Vec<SentMail>>,
}

impl RecordingMailer {
    pub fn new(inner: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self { inner, clock, sent: Mutex::new(Vec::new()) }
    }

    pub fn sent(&self) -> Vec<SentMail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.inner.send(mail).await?;
        let record = SentMail {
            to: mail.to.iter().map(ToString::to_string).collect(),
            from: mail.from.to_string(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
            sent_at: self.clock.now(),
        };
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(record);
        }
        Ok(())
    }
}
