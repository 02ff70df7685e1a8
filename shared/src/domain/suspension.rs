//! Informat deactivating or activating a partner (api.md "Back office: moderators"): the rule of
//! [`decide_activation`]; `crate::operations::suspension` reads, writes and mails.

use chrono::{DateTime, Utc};

use super::{Change, ClientId, INFORMAT, LogAction, LogEntry, Profile};

/// What a moderator does to a partner: a deactivation always says why (the partner reads it in
/// its mail and its log); an activation needs no reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activation {
    Activate,
    Deactivate { reason: String },
}

impl Activation {
    /// The longest reason a moderator may give.
    pub const REASON_MAX: usize = 1000;

    pub fn active(&self) -> bool {
        matches!(self, Self::Activate)
    }
}

/// The log entry that carries a deactivation's reason.
pub const REASON_PROPERTY: &str = "Reden van deactivering";

/// The write a (de)activation plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub after: Profile,
    /// The clients whose flag changes (each to `after.active`'s opposite: suspended or not).
    pub clients: Vec<ClientId>,
    pub log: Vec<LogEntry>,
    pub change: Change,
}

/// `activation` of the partner `before`, whose clients `differing` do not carry the suspension
/// it asks for. `None`: nothing to write (a repeated call that finds everything as asked).
pub fn decide_activation(
    before: &Profile,
    activation: &Activation,
    differing: Vec<ClientId>,
    now: DateTime<Utc>,
) -> Option<Suspension> {
    let active = activation.active();
    if before.active == active && differing.is_empty() {
        return None;
    }
    let after = Profile { active, updated_at: now, version: before.version + 1, ..before.clone() };
    let label = |a: bool| Some(if a { "Actief" } else { "Niet actief" }.to_owned());
    let mut log = Vec::new();
    if before.active != active {
        log.push(LogEntry::new(now, LogAction::Updated, "Status", INFORMAT, label(before.active), label(active)));
    }
    if !differing.is_empty() {
        let (from, to) = if active {
            ("Geschorst", "Actief: de clients krijgen weer tokens")
        } else {
            ("Actief", "Geschorst: de clients krijgen geen tokens meer")
        };
        log.push(LogEntry::new(
            now,
            LogAction::Updated,
            "Clients van de applicaties",
            INFORMAT,
            Some(from.into()),
            Some(to.into()),
        ));
    }
    if let Activation::Deactivate { reason } = activation {
        log.push(LogEntry::new(now, LogAction::Updated, REASON_PROPERTY, INFORMAT, None, Some(reason.clone())));
    }
    let partner = before.id.clone();
    let change = match activation {
        Activation::Activate => Change::PartnerActivated { partner, at: now },
        Activation::Deactivate { reason } => Change::PartnerDeactivated { partner, reason: reason.clone(), at: now },
    };
    Some(Suspension { after, clients: differing, log, change })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{at, profile};

    #[test]
    fn a_deactivation_suspends_every_client_logs_its_reason_and_says_so() {
        let now = at("2026-05-02T10:00:00Z");
        let before = profile(true);
        let clients = vec![ClientId::parse("c-1").expect("id"), ClientId::parse("c-2").expect("id")];
        let asked = Activation::Deactivate { reason: "Misbruik".into() };
        let s = decide_activation(&before, &asked, clients.clone(), now).expect("a change");
        assert!(!s.after.active && s.after.version == 5 && s.after.updated_at == now);
        assert_eq!(s.clients, clients);
        let properties: Vec<&str> = s.log.iter().map(|e| e.property.as_str()).collect();
        assert_eq!(properties, ["Status", "Clients van de applicaties", REASON_PROPERTY]);
        assert_eq!(s.log[2].to.as_deref(), Some("Misbruik"));
        assert_eq!(
            s.change,
            Change::PartnerDeactivated { partner: before.id.clone(), reason: "Misbruik".into(), at: now }
        );
    }

    #[test]
    fn a_repeated_call_writes_only_what_still_differs() {
        let now = at("2026-05-02T10:00:00Z");
        let active = profile(true);
        assert_eq!(decide_activation(&active, &Activation::Activate, Vec::new(), now), None, "nothing to do");
        // Active, but a client still suspended (a write that raced an earlier activation): set it.
        let late = vec![ClientId::parse("c-1").expect("id")];
        let s = decide_activation(&active, &Activation::Activate, late, now).expect("the client");
        assert_eq!(s.log.iter().map(|e| e.property.as_str()).collect::<Vec<_>>(), ["Clients van de applicaties"]);
        assert!(matches!(s.change, Change::PartnerActivated { .. }));
        // A partner without clients still changes its status.
        let s = decide_activation(&profile(false), &Activation::Activate, Vec::new(), now).expect("status");
        assert!(s.after.active && s.log.len() == 1 && s.clients.is_empty());
    }
}
