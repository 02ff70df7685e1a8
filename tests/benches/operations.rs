//! What each portal operation costs: warm latency over HTTP against the local stack, and the AWS
//! requests it sends, counted by an interceptor on every SDK client of the handlers
//! (`portal::adapters::aws::AwsRequests`), with the longest chain of them sent one after the
//! other. A benchmark, not a test:
//!
//!     cargo bench -p portal-e2e --bench operations            BENCH_N=20 calls per operation
//!
//! It walks the manual's journeys for BENCH_N partners (accounts, profiles, team, logos,
//! applications and their moderation, the directory, secrets and keys, access requests and
//! grants, tokens, and the monthly expiry), timing every call of the operation under test from
//! request sent to answer read. Operations that use something up (an activation link, an
//! invitation code, a new application to approve) get a fresh one for each call. The preparing
//! calls are not timed. It prints a Markdown table: docs/figures.md, "Warm latency and AWS requests per operation".
//!
//! The AWS services are moto on this machine, so latencies are those of the emulator (a few ms
//! per request, on one thread), not of DynamoDB and friends; the request counts are exact.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use portal_e2e::{Answer, PASSWORD, PNG, Stack, application_input, profile_input};
use portal_functions::{Operation, ROUTES};

/// The scheduled function (`portal_functions::Scheduled`).
const EXPIRY: &str = "expire_access_requests";
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// A public P-256 key (RFC 7517 appendix A.1) for `PUT /applications/{id}/jwks`.
const JWK: &str = r#"{"kty":"EC","crv":"P-256","kid":"bench","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}"#;
const SCHOOL: &str = "012345";

#[derive(Default)]
struct Row {
    latencies: Vec<Duration>,
    requests: BTreeMap<String, usize>,
    /// The longest chain of AWS requests one call sent one after the other.
    chain: usize,
}

struct Bench {
    stack: Stack,
    rows: BTreeMap<&'static str, Row>,
}

impl Bench {
    fn request(&self, method: Method, path: &str, bearer: Option<&str>, body: Option<Value>) -> RequestBuilder {
        let mut request = self.stack.http.request(method, self.stack.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
    }

    /// Sends `request` as one call of `function`, timed and with its AWS requests counted.
    async fn measure(&mut self, function: &'static str, expected: StatusCode, request: RequestBuilder) -> Answer {
        let counter = self.stack.local.aws_requests.clone();
        counter.take();
        let start = Instant::now();
        let answer = self.stack.send(request).await;
        let elapsed = start.elapsed();
        let (requests, chain) = counter.take_with_chain();
        assert_eq!(answer.status, expected, "{function}: {}", answer.body);
        let row = self.rows.entry(function).or_default();
        row.latencies.push(elapsed);
        row.chain = row.chain.max(chain);
        for (operation, count) in requests {
            *row.requests.entry(operation).or_default() += count;
        }
        answer
    }

    async fn call(
        &mut self,
        op: Operation,
        expected: StatusCode,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let request = self.request(method, path, bearer, body);
        self.measure(op.name(), expected, request).await
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("no {key} in {value}")).to_owned()
}

/// "DynamoDB.Query 1, SESv2.SendEmail 0.5": requests per call, by service and operation.
fn per_call(requests: &BTreeMap<String, usize>, calls: usize) -> (f64, String) {
    let total = requests.values().sum::<usize>() as f64 / calls as f64;
    let parts: Vec<String> = requests
        .iter()
        .map(|(operation, count)| {
            let each = *count as f64 / calls as f64;
            if each.fract() == 0.0 { format!("{operation} {each}") } else { format!("{operation} {each:.2}") }
        })
        .collect();
    (total, parts.join(", "))
}

fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    assert!(n >= 2, "BENCH_N must be at least 2");
    let stack = Stack::start().await;
    let mut b = Bench { stack, rows: BTreeMap::new() };
    let started = Instant::now();
    use Method as M;
    use Operation as O;
    use StatusCode as S;

    // Accounts: register, activate, sign in, refresh, who am I.
    let emails: Vec<String> = (0..n).map(|i| format!("partner{i}@bench.be")).collect();
    for email in &emails {
        let body = json!({"email": email, "password": PASSWORD, "accept_terms": true});
        b.call(O::CreateAccount, S::ACCEPTED, M::POST, "/accounts", None, Some(body)).await;
    }
    for email in &emails {
        let token = b.stack.link_token(email, "activeren").await;
        b.call(O::ActivateAccount, S::NO_CONTENT, M::POST, "/accounts/activate", None, Some(json!({"token": token})))
            .await;
    }
    let mut tokens = Vec::new();
    for email in &emails {
        let body = json!({"email": email, "password": PASSWORD});
        let session = b.call(O::CreateSession, S::OK, M::POST, "/sessions", None, Some(body)).await;
        let refresh = json!({"refresh_token": session.body["refresh_token"]});
        b.call(O::RefreshSession, S::OK, M::POST, "/sessions/refresh", None, Some(refresh)).await;
        tokens.push(text(&session.body, "access_token"));
    }
    for token in &tokens {
        b.call(O::GetMe, S::OK, M::GET, "/me", Some(token), None).await;
    }

    // Profiles, their team and logo.
    let mut partners = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let input = profile_input(&format!("Bench Partner {i}"));
        let profile = b.call(O::CreateProfile, S::CREATED, M::POST, "/profile", Some(token), Some(input)).await;
        partners.push(profile.body);
    }
    for (i, token) in tokens.iter().enumerate() {
        b.call(O::GetProfile, S::OK, M::GET, "/profile", Some(token), None).await;
        let mut input = profile_input(&format!("Bench Partner {i}"));
        input["description"] = json!("Software voor scholen, nu ook voor het secundair.");
        b.call(O::UpdateProfile, S::OK, M::PUT, "/profile", Some(token), Some(input)).await;
        b.call(O::GetProfileLogs, S::OK, M::GET, "/profile/logs", Some(token), None).await;
        let logo =
            b.stack.http.put(b.stack.url("/profile/logo")).bearer_auth(token).header("content-type", "image/png");
        b.measure(O::UploadLogo.name(), S::OK, logo.body(PNG.to_vec())).await;
    }
    for (i, token) in tokens.iter().enumerate() {
        let invitation =
            b.call(O::CreateInvitation, S::CREATED, M::POST, "/profile/invitations", Some(token), None).await;
        let colleague = b.stack.access_token(&format!("collega{i}@bench.be")).await;
        let code = json!({"code": text(&invitation.body, "code")});
        b.call(O::LinkProfile, S::OK, M::POST, "/profile/link", Some(&colleague), Some(code)).await;
        b.call(O::ListProfileUsers, S::OK, M::GET, "/profile/users", Some(token), None).await;
    }

    // Applications: for each partner one to approve, one to reject, one to approve and archive.
    let moderator = b.stack.staff_token("moderator@bench.be", &["moderators"]).await;
    // Existing clients with blocked scopes: a moderator reads each and removes its blocked scopes.
    for i in 0..n {
        let client_id = format!("bestaande_client_{i}");
        let legacy = json!({
            "client_id": client_id,
            "client_secret": format!("Oud-Geheim-{i}-met-voldoende-lengte"),
            "scopes": ["leerlingen:012345", "rekeningen:012345"],
            "inactive_scopes": ["rekeningen:012345:groep-2019"]
        });
        b.stack.legacy_client(legacy).await;
        let path = format!("/admin/clients/{client_id}");
        b.call(O::GetAdminClient, S::OK, M::GET, &path, Some(&moderator), None).await;
        let blocked = format!("{path}/blocked-scopes");
        b.call(O::RemoveBlockedScopes, S::OK, M::DELETE, &blocked, Some(&moderator), None).await;
    }
    // The back office's sign-in and refresh (the staff pool).
    for _ in 0..n {
        let body = json!({"email": "moderator@bench.be", "password": PASSWORD});
        let session = b.call(O::CreateStaffSession, S::OK, M::POST, "/staff/sessions", None, Some(body)).await;
        let refresh = json!({"refresh_token": text(&session.body, "refresh_token")});
        b.call(O::RefreshStaffSession, S::OK, M::POST, "/staff/sessions/refresh", None, Some(refresh)).await;
    }
    let mut apps = Vec::new();
    for token in &tokens {
        let mut ids = Vec::new();
        for name in ["Lessenplanner", "Afgewezen app", "Oude app"] {
            let input = application_input(name, &["leerlingen", "personeel"]);
            let app =
                b.call(O::CreateApplication, S::CREATED, M::POST, "/applications", Some(token), Some(input)).await;
            ids.push(text(&app.body, "id"));
        }
        apps.push(ids);
    }
    for (token, ids) in tokens.iter().zip(&apps) {
        b.call(O::ListApplications, S::OK, M::GET, "/applications", Some(token), None).await;
        let path = format!("/applications/{}", ids[0]);
        b.call(O::GetApplication, S::OK, M::GET, &path, Some(token), None).await;
        let input = application_input("Lessenplanner Pro", &["leerlingen", "personeel"]);
        b.call(O::UpdateApplication, S::OK, M::PUT, &path, Some(token), Some(input)).await;
    }
    for ids in &apps {
        b.call(O::ListReviewQueue, S::OK, M::GET, "/admin/applications?status=new", Some(&moderator), None).await;
        let admin_path = format!("/admin/applications/{}", ids[0]);
        b.call(O::GetAdminApplication, S::OK, M::GET, &admin_path, Some(&moderator), None).await;
    }
    let mut clients = Vec::new();
    for ids in &apps {
        let path = format!("/admin/applications/{}/approve", ids[0]);
        let approved = b.call(O::ApproveApplication, S::OK, M::POST, &path, Some(&moderator), None).await;
        clients.push(text(&approved.body, "client_id"));
        let reason = json!({"reason": "De beschrijving zegt niet welke gegevens de app gebruikt."});
        let path = format!("/admin/applications/{}/reject", ids[1]);
        b.call(O::RejectApplication, S::OK, M::POST, &path, Some(&moderator), Some(reason)).await;
        let path = format!("/admin/applications/{}/approve", ids[2]);
        b.call(O::ApproveApplication, S::OK, M::POST, &path, Some(&moderator), None).await;
        let path = format!("/admin/applications/{}/archive", ids[2]);
        b.call(O::ArchiveApplication, S::OK, M::POST, &path, Some(&moderator), None).await;
    }
    let mut secrets = Vec::new();
    let jwks: Value = serde_json::from_str(&format!(r#"{{"keys": [{JWK}]}}"#)).expect("JWKS");
    for (token, ids) in tokens.iter().zip(&apps) {
        let path = format!("/applications/{}/secret", ids[0]);
        let secret = b.call(O::CreateClientSecret, S::CREATED, M::POST, &path, Some(token), None).await;
        secrets.push(text(&secret.body, "client_secret"));
        let path = format!("/applications/{}/jwks", ids[0]);
        b.call(O::UpdateApplicationJwks, S::OK, M::PUT, &path, Some(token), Some(jwks.clone())).await;
        let path = format!("/applications/{}/logs", ids[0]);
        b.call(O::GetApplicationLogs, S::OK, M::GET, &path, Some(token), None).await;
    }
    // An existing client of the old system, checked before it is linked (argon2id).
    for (i, token) in tokens.iter().enumerate() {
        let (id, secret) = (format!("bestaande_klant_{i}"), format!("Oud-Secret-{i}"));
        let legacy = json!({"client_id": id, "client_secret": secret, "scopes": [format!("leerlingen:{SCHOOL}")]});
        let answer = b.stack.post("/_local/legacy-clients", legacy).await;
        assert_eq!(answer.status, S::CREATED, "{}", answer.body);
        let body = json!({"client_id": id, "client_secret": secret});
        b.call(O::VerifyClientCredentials, S::OK, M::POST, "/client-credentials/verify", Some(token), Some(body)).await;
    }

    // The public directory: every partner is listed now (public, a logo, an approved app).
    for partner in &partners {
        let listed = b.call(O::ListPartners, S::OK, M::GET, "/partners?limit=10", None, None).await;
        assert!(!listed.body["items"].as_array().expect("items").is_empty(), "nobody listed");
        let slug = text(partner, "slug");
        b.call(O::GetPartner, S::OK, M::GET, &format!("/partners/{slug}"), None, None).await;
        b.call(O::GetPartnerLogo, S::OK, M::GET, &format!("/partners/{slug}/logo"), None, None).await;
        b.call(O::ListCategories, S::OK, M::GET, "/categories", None, None).await;
        let id = text(partner, "id");
        let path = format!("/admin/partners/{id}/deactivate");
        let reason = json!({"reason": "Meetronde: tijdelijk gedeactiveerd."});
        b.call(O::DeactivatePartner, S::OK, M::POST, &path, Some(&moderator), Some(reason)).await;
        let path = format!("/admin/partners/{id}/activate");
        b.call(O::ActivatePartner, S::OK, M::POST, &path, Some(&moderator), None).await;
    }

    // Access: a request by mail, the administrator's grant, the school's own list and change.
    for (i, (token, ids)) in tokens.iter().zip(&apps).enumerate() {
        let admin_email = format!("directie{i}@school.be");
        let path = format!("/applications/{}/access-requests", ids[0]);
        let emails = json!({"emails": admin_email});
        b.call(O::CreateAccessRequests, S::CREATED, M::POST, &path, Some(token), Some(emails)).await;
        b.call(O::ListAccessRequests, S::OK, M::GET, &path, Some(token), None).await;
        let admin = b.stack.admin_token(&admin_email, &format!("leerlingen:{SCHOOL} personeel:{SCHOOL}")).await;
        let link = b.stack.access_link(&admin_email).await;
        b.call(O::GetAccessRequest, S::OK, M::GET, &format!("/access-requests/{link}"), Some(&admin), None).await;
        let grant = json!({"institution": SCHOOL, "apis": ["leerlingen"]});
        let path = format!("/access-requests/{link}/grant");
        b.call(O::GrantAccess, S::OK, M::POST, &path, Some(&admin), Some(grant)).await;
        let path = format!("/applications/{}/access", ids[0]);
        b.call(O::GetApplicationAccess, S::OK, M::GET, &path, Some(token), None).await;
        let path = format!("/schools/{SCHOOL}/applications");
        b.call(O::ListSchoolApplications, S::OK, M::GET, &path, Some(&admin), None).await;
        let path = format!("/schools/{SCHOOL}/applications/{}/access", ids[0]);
        let both = json!({"apis": ["leerlingen", "personeel"]});
        b.call(O::UpdateSchoolAccess, S::OK, M::PUT, &path, Some(&admin), Some(both)).await;
    }

    // Tokens, and what token consumers read.
    for (client_id, secret) in clients.iter().zip(&secrets) {
        let request = b
            .stack
            .http
            .post(b.stack.url("/oauth2/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        let token = b.measure(O::CreateToken.name(), S::OK, request).await;
        assert_eq!(token.body["scope"], format!("leerlingen:{SCHOOL} personeel:{SCHOOL}"));
        b.call(O::GetJwks, S::OK, M::GET, "/.well-known/jwks.json", None, None).await;
        let path = "/.well-known/oauth-authorization-server";
        b.call(O::GetAuthorizationServerMetadata, S::OK, M::GET, path, None, None).await;
    }

    // A forgotten password, reset through its mail.
    for email in &emails {
        let body = json!({"email": email});
        b.call(O::ForgotPassword, S::ACCEPTED, M::POST, "/accounts/forgot-password", None, Some(body)).await;
        let token = b.stack.link_token(email, "wachtwoord-herstellen").await;
        let body = json!({"token": token, "password": "Nieuw!Wachtw00rd"});
        b.call(O::ResetPassword, S::NO_CONTENT, M::POST, "/accounts/reset-password", None, Some(body)).await;
    }

    // A moderator's forgotten back-office password, reset through its mail (one address per call:
    // each gets at most 3 reset mails an hour).
    for i in 0..n {
        let email = format!("moderator{i}@reset.bench.be");
        b.stack.staff_token(&email, &["moderators"]).await;
        let body = json!({"email": email});
        b.call(O::ForgotStaffPassword, S::ACCEPTED, M::POST, "/staff/forgot-password", None, Some(body)).await;
        let token = b.stack.backoffice_link_token(&email, "wachtwoord-herstellen").await;
        let body = json!({"token": token, "password": "Nieuw!Wachtw00rd"});
        b.call(O::ResetStaffPassword, S::NO_CONTENT, M::POST, "/staff/reset-password", None, Some(body)).await;
    }

    // The monthly expiry: a month and a day later, every request expires in one run.
    b.stack.advance_clock(32 * 24 * 3600).await;
    let run = b.request(M::POST, "/_local/run/expire-access-requests", None, Some(json!({})));
    let expired = b.measure(EXPIRY, S::OK, run).await;
    assert_eq!(expired.body["expired"], json!(n), "{}", expired.body);

    let wall = started.elapsed();
    println!();
    println!(
        "Warm latency over HTTP against the local stack (moto), {n} calls per operation, the AWS requests of one call, and the longest chain of them sent one after the other (requests in flight together are one step)."
    );
    println!();
    println!("| function | route | calls | p50 ms | p99 ms | AWS requests | sequential | of which |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut slowest: Option<(&str, Duration)> = None;
    assert!(portal_functions::SCHEDULED.iter().any(|job| job.name() == EXPIRY));
    let routes = ROUTES.iter().map(|r| (r.operation.name(), format!("{} {}", r.method, r.path)));
    let schedule = std::iter::once((EXPIRY, format!("schedule: {n} requests expire")));
    for (name, route) in routes.chain(schedule) {
        let row = b.rows.get_mut(name).unwrap_or_else(|| panic!("{name} was not measured"));
        row.latencies.sort();
        let calls = row.latencies.len();
        let p = |q: f64| row.latencies[((calls as f64 - 1.0) * q).round() as usize];
        let (total, parts) = per_call(&row.requests, calls);
        let total = if total.fract() == 0.0 { format!("{total}") } else { format!("{total:.2}") };
        let chain = row.chain;
        println!(
            "| {name} | {route} | {calls} | {} | {} | {total} | {chain} | {parts} |",
            millis(p(0.5)),
            millis(p(0.99))
        );
        if name != EXPIRY && slowest.is_none_or(|(_, d)| p(0.5) > d) {
            slowest = Some((name, p(0.5)));
        }
    }
    if let Some((name, p50)) = slowest {
        println!();
        println!(
            "Slowest request operation by p50: {name} ({} ms). Whole run: {:.0} s.",
            millis(p50),
            wall.as_secs_f64()
        );
    }
}
