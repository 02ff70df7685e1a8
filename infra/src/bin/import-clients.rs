//! Loads Informat's existing clients into the portal's table, so partners can link them.
//!
//! ```sh
//! TABLE_NAME=<table> cargo run -p portal-local --bin import-clients -- [--dry-run] clients.json
//! ```
//!
//! `clients.json` is a list of `{"client_id", "client_secret" | "client_secret_hash" (argon2id
//! PHC), "scopes": ["leerlingen:012345", ...], "inactive_scopes": [...]}`. Clients already in the
//! table are left as they are, so running it twice is harmless; `--dry-run` only reads and says
//! what it would do. AWS credentials and region come from the usual chain; `AWS_ENDPOINT_URL`
//! points it at an emulator. It prints a JSON report and exits non-zero when an entry was refused.

use std::process::ExitCode;

use portal::adapters::dynamo::DynamoStore;
use portal::operations::legacy::{LegacyClient, import};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(file), 1) = (files.first(), files.len()) else {
        eprintln!("usage: import-clients [--dry-run] <clients.json>   (TABLE_NAME must be set)");
        return ExitCode::from(2);
    };
    let Ok(table) = std::env::var("TABLE_NAME") else {
        eprintln!("TABLE_NAME is not set: the portal's DynamoDB table");
        return ExitCode::from(2);
    };
    let entries: Vec<LegacyClient> = match std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| format!("not a list of clients: {e}")))
    {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(2);
        }
    };
    let sdk = portal::adapters::aws::load_from_env().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    match import(&store, &entries, dry_run, chrono::Utc::now()).await {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            if report.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("the table could not be written: {e}");
            ExitCode::FAILURE
        }
    }
}
