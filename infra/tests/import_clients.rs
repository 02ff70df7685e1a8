//! The `import-clients` operations tool, run as operations would run it: the binary, a JSON file,
//! the table of a private local stack. A dry run stores nothing; a real run stores valid entries
//! (argon2id), refuses invalid ones and exits non-zero; a second run changes nothing.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use portal::domain::{ClientId, SecretHash};
use portal_local::{LocalStack, Options};

fn run(stack: &LocalStack, file: &std::path::Path, dry_run: bool) -> (bool, serde_json::Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_import-clients"));
    if dry_run {
        command.arg("--dry-run");
    }
    let out = command
        .arg(file)
        .env("TABLE_NAME", &stack.resources.table)
        .env("AWS_ENDPOINT_URL", &stack.aws_endpoint)
        .env("AWS_REGION", &stack.resources.region)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), report)
}

#[tokio::test]
async fn imports_from_a_file_idempotently_with_a_dry_run() {
    let options = Options { port: 0, aws_endpoint: None, ..Options::default() };
    let stack = LocalStack::start(options).await.unwrap_or_else(|e| panic!("the local stack must start: {e}"));
    let hash = match SecretHash::of_imported("Gehasht-Geheim").unwrap() {
        SecretHash::Argon2id(phc) => phc,
        SecretHash::Sha256(_) => unreachable!("imported secrets are argon2id"),
    };
    let file = std::env::temp_dir().join(format!("clients-{}.json", std::process::id()));
    std::fs::write(
        &file,
        serde_json::json!([
            {"client_id": "school_a", "client_secret": "Oud-Geheim-A", "scopes": ["leerlingen:012345"]},
            {"client_id": "school_b", "client_secret_hash": hash, "scopes": ["personeel:54321"], "inactive_scopes": ["rekeningen:54321:groep-2019"]},
            {"client_id": "kapot", "client_secret": "x", "scopes": ["geen-scope"]}
        ])
        .to_string(),
    )
    .unwrap();
    let store = &stack.deps.applications;

    let (ok, report) = run(&stack, &file, true);
    assert!(!ok, "an entry is refused: non-zero exit");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["created"], serde_json::json!(["school_a", "school_b"]));
    assert!(store.client(&ClientId::parse("school_a").unwrap()).await.unwrap().is_none(), "a dry run stores nothing");

    let (_, report) = run(&stack, &file, false);
    assert_eq!(report["created"], serde_json::json!(["school_a", "school_b"]));
    assert_eq!(report["refused"][0][0], "kapot");
    let a = store.client(&ClientId::parse("school_a").unwrap()).await.unwrap().unwrap();
    assert!(a.secret_matches("Oud-Geheim-A", chrono::Utc::now()) && !a.active);
    assert!(matches!(a.secrets[0].hash, SecretHash::Argon2id(_)), "stored as argon2id, never in clear");
    let b = store.client(&ClientId::parse("school_b").unwrap()).await.unwrap().unwrap();
    assert!(b.secret_matches("Gehasht-Geheim", chrono::Utc::now()));
    assert_eq!(b.blocked_scopes, ["rekeningen:54321:groep-2019"]);
    // The schools of imported scopes see the client among their applications once it is linked.
    let index = stack.deps.access.client_access(&a.id).await.unwrap();
    assert_eq!(index.iter().map(|i| i.institution.as_str()).collect::<Vec<_>>(), ["012345"]);

    let (_, again) = run(&stack, &file, false);
    assert_eq!(again["created"], serde_json::json!([]));
    assert_eq!(again["existing"], serde_json::json!(["school_a", "school_b"]));
    let unchanged = store.client(&a.id).await.unwrap().unwrap();
    assert_eq!(unchanged, a, "a second run leaves the client as it was");
    std::fs::remove_file(file).ok();
}
