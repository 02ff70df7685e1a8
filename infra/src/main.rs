//! `cargo run -p portal-local -- [--port 3000] [--portal-url http://localhost:5173] [--no-web | --web-dir DIR]`

use std::path::PathBuf;

use portal_local::{LocalStack, Options};

const USAGE: &str = "usage: portal-local [--port PORT] [--portal-url URL] [--no-web | --web-dir DIR]

Runs the whole partner portal on 127.0.0.1 against an AWS emulator (a private moto server on a
free port, or the one named by PORTAL_AWS_ENDPOINT): the API, and the front end at the portal's
address, built from web/ first when web/build is missing or older than its sources (npm ci when
node_modules does not match the lockfile, then npm run build; needs Node.js and npm).

  --port PORT        port of the API (default 3000; 0 picks a free one)
  --portal-url URL   the front end's address, served on its port and used in links in mails
                     (default http://localhost:5173; PORTAL_URL in the environment too)
  --no-web           the API only: no front end built or served (PORTAL_NO_WEB=1 too)
  --web-dir DIR      serve this already built front end as it is, without building web/

BACKOFFICE_URL in the environment sets the back office's address (default <portal url>/beheer);
both are the only CORS origins.";

/// Which front end to serve.
#[derive(Debug, PartialEq)]
enum Web {
    /// web/build, built first when stale.
    Build,
    /// A directory built already.
    Dir(PathBuf),
    None,
}

fn parse(args: &[String]) -> Result<(Options, Web), String> {
    let mut options = Options::default();
    let no_web = std::env::var("PORTAL_NO_WEB").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut web = if no_web { Web::None } else { Web::Build };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                options.port = value.parse().map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--portal-url" => options.portal_url = args.next().ok_or("--portal-url needs a value")?.clone(),
            "--no-web" => web = Web::None,
            "--web-dir" => web = Web::Dir(args.next().ok_or("--web-dir needs a directory")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((options, web))
}

/// The port the front end is served on: PORTAL_URL's, which must be a local http address.
fn front_end_port(portal_url: &str) -> Result<u16, String> {
    let url = url::Url::parse(portal_url).map_err(|e| format!("PORTAL_URL {portal_url}: {e}"))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1"));
    match url.port_or_known_default() {
        Some(port) if url.scheme() == "http" && local => Ok(port),
        _ => Err(format!(
            "the front end is served at http://localhost:<port> only, not at {portal_url}; \
             pass --no-web to run the API alone"
        )),
    }
}

/// The school administrator the stand-in for Informat's identity provider starts with.
const DEMO_ADMIN: &str = "schoolbeheerder@voorbeeld.be";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (options, web) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("{why}\n");
            }
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    portal::telemetry::init();
    let front_end = match web {
        Web::None => None,
        Web::Dir(dir) => Some(dir),
        Web::Build => match portal_local::web::ensure_built(&portal_local::web::source_dir()) {
            Ok(dir) => Some(dir),
            Err(e) => {
                eprintln!("{e}");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let front_end = match front_end.map(|dir| front_end_port(&options.portal_url).map(|port| (dir, port))).transpose() {
        Ok(front_end) => front_end,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("Starting the local stack (emulator, resources, API) ...");
    let mut stack = match LocalStack::start(options).await {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("The local stack could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some((dir, port)) = &front_end
        && let Err(e) = stack.serve_front_end(dir, *port).await
    {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }
    // A school administrator to try the back office with, at the stand-in for Informat's sign-in.
    let demo_password = format!("Demo!{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let demo_rights = "leerlingen:012345 personeel:012345 internen:012345 voorinschrijvingen:012345 rekeningen:012345";
    if let Err(e) = stack.informat.add_user(DEMO_ADMIN, &demo_password, DEMO_ADMIN, demo_rights).await {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }
    let api = &stack.api_url;
    println!("Informat partner portal, local stack");
    if front_end.is_some() {
        println!("  Portaal:   {}", stack.deps.config.portal_url);
        println!("  Beheer:    {}", stack.deps.config.backoffice_url);
    }
    println!("  API:       {api}");
    println!("  Mails:     {api}/_local/mails");
    println!("  Resources: {api}/_local/stack");
    println!("  Emulator:  {} (moto)", stack.aws_endpoint);
    println!("  Informat:  {} (stand-in for Informat's sign-in, oidc-provider)", stack.informat.issuer);
    println!("    school administrator {DEMO_ADMIN}, password {demo_password}, school 012345 (every API);");
    println!(
        "    more: POST {api}/_local/school-admins {{\"email\", \"password\", \"rights\": \"leerlingen:012345 ...\"}}"
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_front_end_can_be_skipped_or_given_built() {
        assert_eq!(parse(&args(&["--no-web"])).map(|p| p.1), Ok(Web::None));
        assert_eq!(parse(&args(&["--web-dir", "web/build"])).map(|p| p.1), Ok(Web::Dir("web/build".into())));
        assert!(parse(&args(&["--web-dir"])).is_err());
    }

    #[test]
    fn the_front_end_is_served_on_the_portal_urls_port() {
        assert_eq!(front_end_port("http://localhost:5173"), Ok(5173));
        assert_eq!(front_end_port("http://127.0.0.1:5176/"), Ok(5176));
        assert_eq!(front_end_port("http://localhost"), Ok(80));
        assert!(front_end_port("https://partners.informatsoftware.be").is_err());
        assert!(front_end_port("http://portal.test").is_err());
    }
}
