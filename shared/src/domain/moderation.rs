//! Informat's moderation of an application (manual 2.2): approving, rejecting, archiving. Each
//! `decide_*` is the whole rule of its transition: the application after it, its client after
//! it, the change in the partner's count of approved applications, the log and what happened.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{
    Application, ApplicationStatus, Change, Client, ClientId, ClientJwks, INFORMAT, InvalidTransition, LogAction,
    LogEntry, Refusal,
};

/// The write a moderator's decision plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderation {
    pub after: Application,
    /// The client as written with it (`None`: the client is not part of the write).
    pub client: Option<Client>,
    /// How the partner's count of approved applications changes (it decides the directory listing).
    pub approved_delta: i64,
    pub log: Vec<LogEntry>,
    pub change: Change,
}

/// 409 `invalid_transition`, in the words of the back office.
fn invalid_transition(before: &Application, to: &str) -> impl FnOnce(InvalidTransition) -> Refusal {
    let status = before.status.label();
    let to = to.to_owned();
    move |_| {
        Refusal::conflict(
            "invalid_transition",
            format!("Een applicatie met status \u{201c}{status}\u{201d} kan niet {to} worden."),
        )
    }
}

/// Approval: from `new` only. The application keeps the client id it has (a linked client, or
/// one of an earlier approval) or gets `fresh`; its client is activated with the application's
/// APIs, or made when there is none (`stored`: the client of the id it already had).
pub fn decide_approval(
    before: &Application,
    stored: Option<&Client>,
    fresh: ClientId,
    now: DateTime<Utc>,
) -> Result<Moderation, Refusal> {
    let client_id = before.client_id.clone().unwrap_or(fresh);
    let approved = before.approved(client_id.clone()).map_err(invalid_transition(before, "goedgekeurd"))?;
    let after = Application { updated_at: now, version: before.version + 1, ..approved };
    let client = match stored {
        Some(c) => Client {
            active: true,
            apis: after.fields.apis.clone(),
            updated_at: now,
            version: c.version + 1,
            ..c.clone()
        },
        None => Client {
            id: client_id.clone(),
            application_id: Some(after.id.clone()),
            partner_id: Some(after.partner_id.clone()),
            active: true,
            partner_suspended: false,
            apis: after.fields.apis.clone(),
            scopes: BTreeSet::new(),
            blocked_scopes: Vec::new(),
            secrets: Vec::new(),
            jwks: ClientJwks::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    };
    let log = vec![
        before.status_entry(LogAction::Approved, &after, INFORMAT, now),
        LogEntry::new(now, LogAction::Created, "Client ID", INFORMAT, None, Some(client_id.to_string())),
    ];
    let change = Change::ApplicationApproved {
        application: after.id.clone(),
        partner: after.partner_id.clone(),
        client: client_id,
        at: now,
    };
    Ok(Moderation { after, client: Some(client), approved_delta: 1, log, change })
}

/// Rejection with its reason: from `new` only. The client is not touched.
pub fn decide_rejection(before: &Application, reason: String, now: DateTime<Utc>) -> Result<Moderation, Refusal> {
    let rejected = before.rejected(reason.clone()).map_err(invalid_transition(before, "geweigerd"))?;
    let after = Application { updated_at: now, version: before.version + 1, ..rejected };
    let log = vec![
        before.status_entry(LogAction::Rejected, &after, INFORMAT, now),
        LogEntry::new(now, LogAction::Rejected, "Reden", INFORMAT, None, Some(reason.clone())),
    ];
    let change = Change::ApplicationRejected {
        application: after.id.clone(),
        partner: after.partner_id.clone(),
        reason,
        at: now,
    };
    Ok(Moderation { after, client: None, approved_delta: 0, log, change })
}

/// Archiving: final, from any status but `archived`; the client (`stored`) stops working at once.
pub fn decide_archiving(
    before: &Application,
    stored: Option<&Client>,
    now: DateTime<Utc>,
) -> Result<Moderation, Refusal> {
    let archived = before.archived().map_err(invalid_transition(before, "gearchiveerd"))?;
    let after = Application { updated_at: now, version: before.version + 1, ..archived };
    let client = stored.map(|c| Client { active: false, updated_at: now, version: c.version + 1, ..c.clone() });
    let approved_delta = if before.status == ApplicationStatus::Approved { -1 } else { 0 };
    let log = vec![before.status_entry(LogAction::Archived, &after, INFORMAT, now)];
    let change =
        Change::ApplicationArchived { application: after.id.clone(), partner: after.partner_id.clone(), at: now };
    Ok(Moderation { after, client, approved_delta, log, change })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Api;
    use crate::domain::fixtures::{self, at};

    fn application(status: ApplicationStatus, client: Option<&str>) -> Application {
        let client_id = client.map(|c| ClientId::parse(c).expect("client"));
        Application { client_id, ..fixtures::application(status, &[Api::Leerlingen]) }
    }

    /// A client as a deactivation left it: inactive and suspended.
    fn stored(id: &str) -> Client {
        Client { active: false, partner_suspended: true, ..fixtures::client(id) }
    }

    #[test]
    fn an_approval_makes_an_active_client_counts_the_partner_and_says_so() {
        let now = at("2026-05-02T10:00:00Z");
        let before = application(ApplicationStatus::New, None);
        let fresh = ClientId::parse("fresh-1").expect("client");
        let m = decide_approval(&before, None, fresh.clone(), now).expect("new: approved");
        assert_eq!(
            (m.after.status, m.after.client_id.as_ref(), m.after.version),
            (ApplicationStatus::Approved, Some(&fresh), 3)
        );
        let client = m.client.expect("a client");
        assert!(client.active && client.version == 1 && client.apis == before.fields.apis);
        assert_eq!(client.application_id.as_ref(), Some(&before.id));
        assert_eq!(m.approved_delta, 1);
        assert_eq!(m.log.iter().map(|e| e.property.as_str()).collect::<Vec<_>>(), ["Status", "Client ID"]);
        assert_eq!(m.log[1].to.as_deref(), Some("fresh-1"));
        assert_eq!(
            m.change,
            Change::ApplicationApproved {
                application: before.id.clone(),
                partner: before.partner_id.clone(),
                client: fresh,
                at: now
            }
        );
    }

    #[test]
    fn an_approval_keeps_the_client_id_it_had_and_activates_that_client() {
        let now = at("2026-05-02T10:00:00Z");
        let before = application(ApplicationStatus::New, Some("linked-1"));
        let linked = stored("linked-1");
        let m = decide_approval(&before, Some(&linked), ClientId::parse("unused").expect("id"), now).expect("approved");
        let client = m.client.expect("the client");
        assert_eq!((client.id.as_str(), client.active, client.version), ("linked-1", true, 6));
        assert!(client.partner_suspended, "the suspension is the profile's to change, not the approval's");
    }

    #[test]
    fn only_a_new_application_is_approved_or_rejected_and_an_archived_one_stays_archived() {
        let now = at("2026-05-02T10:00:00Z");
        for status in [ApplicationStatus::Approved, ApplicationStatus::Rejected, ApplicationStatus::Archived] {
            let before = application(status, Some("c-1"));
            let Err(Refusal::Conflict { code, detail }) =
                decide_approval(&before, None, ClientId::parse("x").expect("id"), now)
            else {
                panic!("{status:?} approved")
            };
            assert_eq!(code, "invalid_transition");
            assert!(detail.contains(status.label()) && detail.contains("goedgekeurd"), "{detail}");
            assert!(decide_rejection(&before, "nee".into(), now).is_err(), "{status:?} rejected");
        }
        let archived = application(ApplicationStatus::Archived, Some("c-1"));
        assert!(matches!(
            decide_archiving(&archived, None, now),
            Err(Refusal::Conflict { code: "invalid_transition", .. })
        ));
    }

    #[test]
    fn a_rejection_keeps_its_reason_and_leaves_the_client_alone() {
        let now = at("2026-05-02T10:00:00Z");
        let before = application(ApplicationStatus::New, None);
        let m = decide_rejection(&before, "Onvolledige beschrijving".into(), now).expect("rejected");
        assert_eq!(m.after.rejection_reason.as_deref(), Some("Onvolledige beschrijving"));
        assert!(m.client.is_none() && m.approved_delta == 0);
        assert_eq!(m.log[1].to.as_deref(), Some("Onvolledige beschrijving"));
        assert!(
            matches!(m.change, Change::ApplicationRejected { ref reason, .. } if reason == "Onvolledige beschrijving")
        );
    }

    #[test]
    fn archiving_stops_the_client_and_uncounts_only_an_approved_application() {
        let now = at("2026-05-02T10:00:00Z");
        let approved = application(ApplicationStatus::Approved, Some("c-1"));
        let client = Client { active: true, ..stored("c-1") };
        let m = decide_archiving(&approved, Some(&client), now).expect("archived");
        let after = m.client.expect("the client");
        assert!(!after.active && after.version == client.version + 1);
        assert_eq!(m.approved_delta, -1);
        let rejected = application(ApplicationStatus::Rejected, None);
        let m = decide_archiving(&rejected, None, now).expect("archived");
        assert!(m.client.is_none() && m.approved_delta == 0);
        assert!(matches!(m.change, Change::ApplicationArchived { .. }));
    }
}
