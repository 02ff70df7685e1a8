//! What a change did, as a value (issue 23): every operation that changes state decides one,
//! and the write that stores the change carries it. So what must follow from every change (a
//! row in a school's consent register, an event for the partner's webhooks, a line in the logs)
//! is added in one place, the store's write, in the same transaction, for every operation at once.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{AccessRequestId, Api, ApplicationId, ClientId, Institution, PartnerId};

/// One change of the portal's state: who did it (an email, [`super::INFORMAT`] or
/// [`super::SYSTEM`], as the logs name them), when, and what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ProfileCreated {
        partner: PartnerId,
        by: String,
        at: DateTime<Utc>,
    },
    /// The profile's fields changed; `resubmitted`: the rejected applications it sent back to review.
    ProfileUpdated {
        partner: PartnerId,
        by: String,
        at: DateTime<Utc>,
        resubmitted: Vec<ApplicationId>,
    },
    LogoChanged {
        partner: PartnerId,
        by: String,
        at: DateTime<Utc>,
    },
    InvitationCreated {
        partner: PartnerId,
        by: String,
        at: DateTime<Utc>,
    },
    PartnerDeactivated {
        partner: PartnerId,
        reason: String,
        at: DateTime<Utc>,
    },
    PartnerActivated {
        partner: PartnerId,
        at: DateTime<Utc>,
    },
    /// A new application; `client`: the existing client it was linked to, if any.
    ApplicationCreated {
        application: ApplicationId,
        partner: PartnerId,
        client: Option<ClientId>,
        by: String,
        at: DateTime<Utc>,
    },
    /// The partner edited the application (its fields, its contact).
    ApplicationUpdated {
        application: ApplicationId,
        partner: PartnerId,
        by: String,
        at: DateTime<Utc>,
    },
    ContactConfirmed {
        application: ApplicationId,
        partner: PartnerId,
        at: DateTime<Utc>,
    },
    ClientSecretCreated {
        application: ApplicationId,
        partner: PartnerId,
        client: ClientId,
        by: String,
        at: DateTime<Utc>,
    },
    PublicKeysChanged {
        application: ApplicationId,
        partner: PartnerId,
        client: ClientId,
        by: String,
        at: DateTime<Utc>,
    },
    ApplicationApproved {
        application: ApplicationId,
        partner: PartnerId,
        client: ClientId,
        at: DateTime<Utc>,
    },
    ApplicationRejected {
        application: ApplicationId,
        partner: PartnerId,
        reason: String,
        at: DateTime<Utc>,
    },
    ApplicationArchived {
        application: ApplicationId,
        partner: PartnerId,
        at: DateTime<Utc>,
    },
    /// Informat removed the scopes of inactive access groups from a client.
    BlockedScopesRemoved {
        client: ClientId,
        partner: Option<PartnerId>,
        at: DateTime<Utc>,
    },
    AccessRequested {
        application: ApplicationId,
        partner: PartnerId,
        requests: Vec<AccessRequestId>,
        by: String,
        at: DateTime<Utc>,
    },
    /// A school administrator granted access through a request's link; `before` and `after`:
    /// the application's APIs at that school.
    AccessGranted {
        application: ApplicationId,
        partner: PartnerId,
        client: ClientId,
        institution: Institution,
        request: AccessRequestId,
        before: BTreeSet<Api>,
        after: BTreeSet<Api>,
        by: String,
        at: DateTime<Utc>,
    },
    /// A school administrator changed (narrowed, widened or revoked) access at its school.
    AccessChanged {
        application: ApplicationId,
        partner: PartnerId,
        client: ClientId,
        institution: Institution,
        before: BTreeSet<Api>,
        after: BTreeSet<Api>,
        by: String,
        at: DateTime<Utc>,
    },
    AccessRequestExpired {
        request: AccessRequestId,
        application: ApplicationId,
        partner: PartnerId,
        at: DateTime<Utc>,
    },
}

impl Change {
    /// The change's type as events name it: `<noun>.<past participle>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ProfileCreated { .. } => "profile.created",
            Self::ProfileUpdated { .. } => "profile.updated",
            Self::LogoChanged { .. } => "profile.logo_changed",
            Self::InvitationCreated { .. } => "profile.invitation_created",
            Self::PartnerDeactivated { .. } => "partner.deactivated",
            Self::PartnerActivated { .. } => "partner.activated",
            Self::ApplicationCreated { .. } => "application.created",
            Self::ApplicationUpdated { .. } => "application.updated",
            Self::ContactConfirmed { .. } => "application.contact_confirmed",
            Self::ClientSecretCreated { .. } => "application.client_secret_created",
            Self::PublicKeysChanged { .. } => "application.public_keys_changed",
            Self::ApplicationApproved { .. } => "application.approved",
            Self::ApplicationRejected { .. } => "application.rejected",
            Self::ApplicationArchived { .. } => "application.archived",
            Self::BlockedScopesRemoved { .. } => "client.blocked_scopes_removed",
            Self::AccessRequested { .. } => "access.requested",
            Self::AccessGranted { .. } => "access.granted",
            Self::AccessChanged { .. } => "access.changed",
            Self::AccessRequestExpired { .. } => "access.request_expired",
        }
    }

    /// The partner the change concerns (`None`: a client that belongs to no partner).
    pub fn partner(&self) -> Option<&PartnerId> {
        match self {
            Self::ProfileCreated { partner, .. }
            | Self::ProfileUpdated { partner, .. }
            | Self::LogoChanged { partner, .. }
            | Self::InvitationCreated { partner, .. }
            | Self::PartnerDeactivated { partner, .. }
            | Self::PartnerActivated { partner, .. }
            | Self::ApplicationCreated { partner, .. }
            | Self::ApplicationUpdated { partner, .. }
            | Self::ContactConfirmed { partner, .. }
            | Self::ClientSecretCreated { partner, .. }
            | Self::PublicKeysChanged { partner, .. }
            | Self::ApplicationApproved { partner, .. }
            | Self::ApplicationRejected { partner, .. }
            | Self::ApplicationArchived { partner, .. }
            | Self::AccessRequested { partner, .. }
            | Self::AccessGranted { partner, .. }
            | Self::AccessChanged { partner, .. }
            | Self::AccessRequestExpired { partner, .. } => Some(partner),
            Self::BlockedScopesRemoved { partner, .. } => partner.as_ref(),
        }
    }

    /// The application the change concerns, if it concerns one.
    pub fn application(&self) -> Option<&ApplicationId> {
        match self {
            Self::ApplicationCreated { application, .. }
            | Self::ApplicationUpdated { application, .. }
            | Self::ContactConfirmed { application, .. }
            | Self::ClientSecretCreated { application, .. }
            | Self::PublicKeysChanged { application, .. }
            | Self::ApplicationApproved { application, .. }
            | Self::ApplicationRejected { application, .. }
            | Self::ApplicationArchived { application, .. }
            | Self::AccessRequested { application, .. }
            | Self::AccessGranted { application, .. }
            | Self::AccessChanged { application, .. }
            | Self::AccessRequestExpired { application, .. } => Some(application),
            _ => None,
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::ProfileCreated { at, .. }
            | Self::ProfileUpdated { at, .. }
            | Self::LogoChanged { at, .. }
            | Self::InvitationCreated { at, .. }
            | Self::PartnerDeactivated { at, .. }
            | Self::PartnerActivated { at, .. }
            | Self::ApplicationCreated { at, .. }
            | Self::ApplicationUpdated { at, .. }
            | Self::ContactConfirmed { at, .. }
            | Self::ClientSecretCreated { at, .. }
            | Self::PublicKeysChanged { at, .. }
            | Self::ApplicationApproved { at, .. }
            | Self::ApplicationRejected { at, .. }
            | Self::ApplicationArchived { at, .. }
            | Self::BlockedScopesRemoved { at, .. }
            | Self::AccessRequested { at, .. }
            | Self::AccessGranted { at, .. }
            | Self::AccessChanged { at, .. }
            | Self::AccessRequestExpired { at, .. } => *at,
        }
    }

    /// A school's access changed: the institution, and the APIs before and after.
    pub fn access_at_school(&self) -> Option<(&Institution, &BTreeSet<Api>, &BTreeSet<Api>)> {
        match self {
            Self::AccessGranted { institution, before, after, .. }
            | Self::AccessChanged { institution, before, after, .. } => Some((institution, before, after)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_dotted_names() {
        let at = Utc::now();
        let partner = PartnerId::new();
        let changes = [
            Change::ProfileCreated { partner: partner.clone(), by: "a@b.be".into(), at },
            Change::PartnerActivated { partner: partner.clone(), at },
            Change::PartnerDeactivated { partner: partner.clone(), reason: "r".into(), at },
            Change::BlockedScopesRemoved { client: ClientId::parse("c").expect("id"), partner: None, at },
        ];
        let kinds: BTreeSet<&str> = changes.iter().map(Change::kind).collect();
        assert_eq!(kinds.len(), changes.len());
        assert!(kinds.iter().all(|k| k.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())));
        assert_eq!(changes[0].partner(), Some(&partner));
        assert_eq!(changes[3].partner(), None);
        assert_eq!(changes[1].at(), at);
    }
}
