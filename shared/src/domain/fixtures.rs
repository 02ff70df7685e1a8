//! Values the domain's unit tests start from: plain data, no store. A test changes what it is
//! about with struct update syntax.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{
    Api, Application, ApplicationFields, ApplicationId, ApplicationStatus, Client, ClientId, ClientJwks, ContactEmail,
    Email, PartnerId, Profile,
};

pub(crate) fn at(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw).expect("time").with_timezone(&Utc)
}

/// When every fixture was made.
pub(crate) fn made() -> DateTime<Utc> {
    at("2026-05-01T10:00:00Z")
}

/// A partner's application with `status` and the APIs `apis`, without a client id.
pub(crate) fn application(status: ApplicationStatus, apis: &[Api]) -> Application {
    Application {
        id: ApplicationId::new(),
        partner_id: PartnerId::new(),
        fields: ApplicationFields {
            name: "Planner".into(),
            description: "Roosters".into(),
            contact_name: "Jan".into(),
            contact_email: Email::parse("contact_email", "dev@planner.be").expect("email"),
            apis: apis.iter().copied().collect(),
        },
        status,
        client_id: None,
        rejection_reason: None,
        secret_created_at: None,
        contact: ContactEmail::default(),
        created_at: made(),
        updated_at: made(),
        version: 2,
    }
}

/// An active client `id` of nobody's application, without APIs, scopes or secrets.
pub(crate) fn client(id: &str) -> Client {
    Client {
        id: ClientId::parse(id).expect("client"),
        application_id: None,
        partner_id: None,
        active: true,
        partner_suspended: false,
        apis: BTreeSet::new(),
        scopes: BTreeSet::new(),
        blocked_scopes: Vec::new(),
        secrets: Vec::new(),
        jwks: ClientJwks::default(),
        created_at: made(),
        updated_at: made(),
        version: 5,
    }
}

/// The partner Planner BV's profile, `active` or deactivated, with one approved application.
pub(crate) fn profile(active: bool) -> Profile {
    Profile {
        id: PartnerId::new(),
        slug: "planner-bv".into(),
        email: Email::parse("email", "partner@planner.be").expect("email"),
        active,
        logo: None,
        approved_applications: 1,
        fields: crate::testing::profile_fields("Planner BV"),
        created_at: made(),
        updated_at: made(),
        version: 4,
    }
}
