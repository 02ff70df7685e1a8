//! Existing clients of Informat's current client registry (manual 2.2.1), loaded into the
//! portal so partners can link them (manual 3.3.2). The operations tool `import-clients` and the
//! local stack's `POST /_local/legacy-clients` both use this.
//!
//! An entry gives the client id, its secret in clear (hashed here with argon2id) or already as
//! an argon2id PHC string, its scopes (`api:instellingsnummer`), and the scopes for non-active
//! access groups in Rekeningen that block linking until Informat removes them (manual 4).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Client, ClientId, ClientJwks, Scope, SecretHash, StoredSecret};
use crate::ports::{ApplicationStore, Imported, StoreError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyClient {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub client_secret_hash: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub inactive_scopes: Vec<String>,
}

impl LegacyClient {
    /// The client as the portal stores it: active only once an application links it.
    pub fn to_client(&self, now: DateTime<Utc>) -> Result<Client, String> {
        let id = ClientId::parse(&self.client_id)
            .ok_or_else(|| format!("client_id {:?} is not a client id", self.client_id))?;
        let hash = match (&self.client_secret, &self.client_secret_hash) {
            (Some(secret), None) if !secret.is_empty() => SecretHash::of_imported(secret).map_err(|e| e.to_string())?,
            (None, Some(phc)) => SecretHash::of_imported_hash(phc).map_err(|e| e.to_string())?,
            _ => return Err("give exactly one of client_secret and client_secret_hash".into()),
        };
        let scopes = self
            .scopes
            .iter()
            .map(|raw| Scope::parse(raw).ok_or_else(|| format!("scope {raw:?} is not api:instellingsnummer")))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Client {
            id,
            application_id: None,
            partner_id: None,
            active: false,
            partner_suspended: false,
            apis: scopes.iter().map(|s| s.api).collect(),
            scopes,
            blocked_scopes: self
                .inactive_scopes
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            secrets: vec![StoredSecret { hash, created_at: now, valid_until: None }],
            jwks: ClientJwks::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }
}

/// What an import did (or, in a dry run, would do) with each entry.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    /// Already in the portal: left exactly as they are, so running an import twice is harmless.
    pub existing: Vec<String>,
    /// Entries that are not valid, with why; nothing of them was stored.
    pub refused: Vec<(String, String)>,
    pub dry_run: bool,
}

/// Imports `entries`; with `dry_run` it only reads, and reports what it would do.
pub async fn import(
    store: &dyn ApplicationStore,
    entries: &[LegacyClient],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport { dry_run, ..ImportReport::default() };
    for entry in entries {
        let client = match entry.to_client(now) {
            Ok(client) => client,
            Err(why) => {
                report.refused.push((entry.client_id.clone(), why));
                continue;
            }
        };
        let outcome = if dry_run {
            if store.client(&client.id).await?.is_some() { Imported::Exists } else { Imported::Created }
        } else {
            store.import_client(&client).await?
        };
        match outcome {
            Imported::Created => report.created.push(client.id.to_string()),
            Imported::Exists => report.existing.push(client.id.to_string()),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fakes;

    fn entry(id: &str) -> LegacyClient {
        LegacyClient {
            client_id: id.into(),
            client_secret: Some("oud-secret".into()),
            client_secret_hash: None,
            scopes: vec!["leerlingen:012345".into(), "personeel:012345".into()],
            inactive_scopes: vec![],
        }
    }

    #[tokio::test]
    async fn imports_once_and_dry_runs_write_nothing() {
        let f = fakes();
        let now = Utc::now();
        let mut bad = entry("bad client");
        bad.scopes = vec!["leerlingen".into()];
        let entries = [entry("informat_customer_school"), bad];
        let dry = import(f.store.as_ref(), &entries, true, now).await.expect("dry run");
        assert_eq!(dry.created, ["informat_customer_school"]);
        assert_eq!(dry.refused.len(), 1);
        let id = ClientId::parse("informat_customer_school").expect("id");
        assert!(f.store.client(&id).await.expect("read").is_none(), "a dry run stores nothing");
        let first = import(f.store.as_ref(), &entries, false, now).await.expect("import");
        assert_eq!(first.created, ["informat_customer_school"]);
        let again = import(f.store.as_ref(), &entries, false, now).await.expect("again");
        assert_eq!(again.existing, ["informat_customer_school"]);
        let client = f.store.client(&id).await.expect("read").expect("client");
        assert!(client.secret_matches("oud-secret", now));
        assert!(!client.active, "active once an application links it");
        assert_eq!(client.scope_apis().len(), 2);
    }

    #[test]
    fn exactly_one_form_of_secret() {
        let mut both = entry("x");
        both.client_secret_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into());
        assert!(both.to_client(Utc::now()).is_err());
        let mut none = entry("x");
        none.client_secret = None;
        assert!(none.to_client(Utc::now()).is_err());
    }
}
