//! `cargo run -p portal-local -- [--port 3000] [--portal-url http://localhost:5173]`

use portal_local::{LocalStack, Options};

const USAGE: &str = "usage: portal-local [--port PORT] [--portal-url URL]

Runs the whole partner portal API on 127.0.0.1 against an AWS emulator: a private moto server
on a free port, or the one named by PORTAL_AWS_ENDPOINT.

  --port PORT        port of the API (default 3000; 0 picks a free one)
  --portal-url URL   the front end's address, used in links in mails (default http://localhost:5173)

BACKOFFICE_URL in the environment sets the back office's address (default <portal url>/beheer);
both are the only CORS origins.";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                options.port = value.parse().map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--portal-url" => options.portal_url = args.next().ok_or("--portal-url needs a value")?.clone(),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("{why}\n");
            }
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    portal::telemetry::init();
    eprintln!("Starting the local stack (emulator, resources, API) ...");
    let mut stack = match LocalStack::start(options).await {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("The local stack could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let api = &stack.api_url;
    println!("Informat partner portal, local stack");
    println!("  API:       {api}");
    println!("  Mails:     {api}/_local/mails");
    println!("  Resources: {api}/_local/stack");
    println!("  Emulator:  {} (moto)", stack.aws_endpoint);
    println!("Ctrl-C (or SIGTERM) stops it and the emulator.");
    // Returning (rather than being killed) drops the stack, which stops the emulator it started.
    let code = tokio::select! {
        _ = stack.serve_forever() => std::process::ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => std::process::ExitCode::SUCCESS,
        _ = terminated() => std::process::ExitCode::SUCCESS,
    };
    drop(stack);
    code
}

async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}
