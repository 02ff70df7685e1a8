//! Clients and their partner over HTTP: a deactivated partner is suspended until Informat
//! activates it again (api.md "Back office: moderators"), moderators remove the scopes of
//! inactive access groups that block linking an imported client (manual 4), and the token
//! endpoint does not tell by its timing which client ids exist (issue 14, item 6).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use portal::domain::{AccessRequest, AccessRequestId, AccessRequestStatus, ClientId, Email, MailBudget, SecretToken};
use portal::ports::RequestsStored;
use portal_e2e::{Answer, Stack, application_input, dynamodb_requests, one_query};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LEGACY_ID: &str = "planner_school_012345";
const LEGACY_SECRET: &str = "Oud-Geheim-012345";
const PARTNER: &str = "partner@voorbeeld.be";
const ADMIN: &str = "directie@school.be";

async fn token_answer(stack: &Stack, id: &str, secret: &str) -> Answer {
    let form = [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)];
    stack.send(stack.http.post(stack.url("/oauth2/token")).form(&form)).await
}

const REASON: &str = "De applicaties gebruiken de API in strijd met de voorwaarden.";

/// The body of a deactivation.
fn reason() -> Option<Value> {
    Some(json!({ "reason": REASON }))
}

fn assert_inactive(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::CONFLICT, "{what}: {}", answer.body);
    assert_eq!(answer.problem_code(), "partner_inactive", "{what}");
    assert!(answer.body["detail"].as_str().unwrap().contains("gedeactiveerd"), "{what}: a Dutch detail");
}

#[tokio::test]
async fn a_deactivated_partner_is_suspended_until_it_is_activated() {
    let stack = Stack::start().await;
    // A partner that linked an imported client (scopes at once) and made a new secret for it.
    stack
        .legacy_client(json!({
            "client_id": LEGACY_ID,
            "client_secret": LEGACY_SECRET,
            "scopes": ["leerlingen:012345", "personeel:012345"]
        }))
        .await;
    let (token, profile) = stack.partner(PARTNER, "Planner BV").await;
    let partner_id = profile["id"].as_str().unwrap().to_owned();
    let mut body = application_input("Lessenplanner", &["leerlingen", "personeel"]);
    body["link"] = json!({"client_id": LEGACY_ID, "client_secret": LEGACY_SECRET});
    let created = stack.call("POST", "/applications", &token, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    let secret = secret.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(token_answer(&stack, LEGACY_ID, &secret).await.status, StatusCode::OK);
    // An access request sent before the deactivation, to be used during it.
    let sent = stack
        .call("POST", &format!("/applications/{id}/access-requests"), &token, Some(json!({"emails": ADMIN})))
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let link = stack.access_link(ADMIN).await;

    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let mails_before = stack.mails_to(PARTNER).await.len();
    let off = stack.call("POST", &format!("/admin/partners/{partner_id}/deactivate"), &moderator, reason()).await;
    assert_eq!((off.status, &off.body["active"]), (StatusCode::OK, &json!(false)), "{}", off.body);

    // The token endpoint: invalid_client, still one Query for the whole request.
    stack.local.aws_requests.take();
    let refused = token_answer(&stack, LEGACY_ID, &secret).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_client")));
    assert!(refused.body["error_description"].as_str().unwrap().contains("gedeactiveerd"), "{}", refused.body);
    assert_eq!(dynamodb_requests(stack.local.aws_requests.take()), one_query(), "the suspension is in the client");
    let basic = stack
        .send(
            stack
                .http
                .post(stack.url("/oauth2/token"))
                .basic_auth(LEGACY_ID, Some(&secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!((basic.status, basic.body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

    // Every change to applications and every request for access: 409 partner_inactive.
    let new = stack.call("POST", "/applications", &token, Some(application_input("Nieuw", &["personeel"]))).await;
    assert_inactive(&new, "create");
    stack
        .legacy_client(
            json!({"client_id": "tweede_client", "client_secret": LEGACY_SECRET, "scopes": ["personeel:012345"]}),
        )
        .await;
    let mut link_body = application_input("Gekoppeld", &["personeel"]);
    link_body["link"] = json!({"client_id": "tweede_client", "client_secret": LEGACY_SECRET});
    assert_inactive(&stack.call("POST", "/applications", &token, Some(link_body.clone())).await, "link");
    let edit = application_input("Lessenplanner 2", &["leerlingen"]);
    assert_inactive(&stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit.clone())).await, "edit");
    assert_inactive(&stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await, "secret");
    let jwks = Some(json!({"keys": []}));
    assert_inactive(&stack.call("PUT", &format!("/applications/{id}/jwks"), &token, jwks).await, "jwks");
    let requests = Some(json!({"emails": "ict@school.be"}));
    let path = format!("/applications/{id}/access-requests");
    assert_inactive(&stack.call("POST", &path, &token, requests.clone()).await, "access requests");
    // A request that passed the check just before the deactivation is not stored either: the
    // store writes requests only while the partner is active.
    let late = AccessRequest {
        id: AccessRequestId::new(),
        token_hash: SecretToken::generate().unwrap().hash(),
        application_id: serde_json::from_value(json!(id)).unwrap(),
        partner_id: serde_json::from_value(json!(partner_id)).unwrap(),
        client_id: None,
        email: Email::parse("email", "laat@school.be").unwrap(),
        requested_by: PARTNER.into(),
        created_at: chrono::Utc::now(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(30),
        status: AccessRequestStatus::Pending,
        granted: Default::default(),
        version: 1,
    };
    let budget = MailBudget::of(chrono::Utc::now());
    let stored = stack
        .local
        .deps
        .access
        .create_access_requests(std::slice::from_ref(&late), &[], &budget, &requested(&late))
        .await
        .unwrap();
    assert_eq!(stored, RequestsStored::PartnerInactive, "no request is stored for a deactivated partner");
    assert!(stack.local.deps.access.access_request(&late.token_hash).await.unwrap().is_none());
    let admin = stack.admin_token(ADMIN, "leerlingen:54321").await;
    let grant = Some(json!({"institution": "54321", "apis": ["leerlingen"]}));
    let grant_path = format!("/access-requests/{link}/grant");
    assert_inactive(&stack.call("POST", &grant_path, &admin, grant.clone()).await, "a grant through an earlier link");
    // Reading stays possible.
    assert_eq!(stack.call("GET", &format!("/applications/{id}"), &token, None).await.status, StatusCode::OK);

    // Logged on the profile and mailed to its email.
    let logs = stack.call("GET", "/profile/logs", &token, None).await;
    let entries: Vec<(String, String)> = logs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["property"].as_str().unwrap().to_owned(), e["to"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert!(entries.contains(&("Status".into(), "Niet actief".into())), "{entries:?}");
    assert!(
        entries.iter().any(|(p, to)| p == "Clients van de applicaties" && to.starts_with("Geschorst")),
        "{entries:?}"
    );
    let mails = stack.mails_to(PARTNER).await;
    assert_eq!(mails.len(), mails_before + 1, "one mail");
    assert!(mails.last().unwrap()["text"].as_str().unwrap().contains(REASON));

    // The school that already gave access may narrow or revoke it, never widen it.
    let school_admin = stack.admin_token("ict@school.be", "leerlingen:012345 personeel:012345").await;
    let school_path = format!("/schools/012345/applications/{id}/access");
    let set = |apis: &[&str]| Some(json!({ "apis": apis }));
    let narrowed = stack.call("PUT", &school_path, &school_admin, set(&["leerlingen"])).await;
    assert_eq!(narrowed.status, StatusCode::OK, "narrowing: {}", narrowed.body);
    let widened = stack.call("PUT", &school_path, &school_admin, set(&["leerlingen", "personeel"])).await;
    assert_inactive(&widened, "adding an API at a school");
    let listed = stack.call("GET", "/schools/012345/applications", &school_admin, None).await;
    assert_eq!(listed.body["items"][0]["apis"], json!(["leerlingen"]), "the refused addition changed nothing");

    // Activation restores all of it.
    let mails_before = stack.mails_to(PARTNER).await.len();
    let on = stack.call("POST", &format!("/admin/partners/{partner_id}/activate"), &moderator, None).await;
    assert_eq!((on.status, &on.body["active"]), (StatusCode::OK, &json!(true)), "{}", on.body);
    assert_eq!(stack.mails_to(PARTNER).await.len(), mails_before + 1, "the activation is mailed too");
    assert_eq!(token_answer(&stack, LEGACY_ID, &secret).await.status, StatusCode::OK, "tokens again");
    assert_eq!(stack.call("POST", &grant_path, &admin, grant).await.status, StatusCode::OK, "the earlier link works");
    let widened = stack.call("PUT", &school_path, &school_admin, set(&["leerlingen", "personeel"])).await;
    assert_eq!(widened.status, StatusCode::OK, "a school may add APIs again: {}", widened.body);
    assert_eq!(stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit)).await.status, StatusCode::OK);
    assert_eq!(stack.call("POST", &path, &token, requests).await.status, StatusCode::CREATED);
    assert_eq!(stack.call("POST", "/applications", &token, Some(link_body)).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_approval_racing_a_deactivation_leaves_no_working_client() {
    let stack = Stack::start().await;
    let (token, profile) = stack.partner(PARTNER, "Planner BV").await;
    let partner_id = profile["id"].as_str().unwrap().to_owned();
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let (off, on) =
        (format!("/admin/partners/{partner_id}/deactivate"), format!("/admin/partners/{partner_id}/activate"));
    let suspended = |client_id: String| {
        let deps = &stack.local.deps;
        async move {
            let id = ClientId::parse(&client_id).unwrap();
            deps.applications.client(&id).await.unwrap().unwrap().partner_suspended
        }
    };
    for round in 0..4 {
        let created = stack
            .call("POST", "/applications", &token, Some(application_input(&format!("App {round}"), &["leerlingen"])))
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let approve = format!("/admin/applications/{id}/approve");
        let (approved, deactivated) = tokio::join!(
            stack.call("POST", &approve, &moderator, None),
            stack.call("POST", &off, &moderator, reason())
        );
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
        assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.body);
        let client_id = approved.body["client_id"].as_str().unwrap().to_owned();
        assert!(suspended(client_id.clone()).await, "round {round}: the new client of a deactivated partner");
        assert_eq!(stack.call("POST", &on, &moderator, None).await.status, StatusCode::OK);
        assert!(!suspended(client_id).await, "round {round}: activation restores it");
    }
    // Approving the application of a partner that is inactive already: its client is suspended.
    let created = stack.call("POST", "/applications", &token, Some(application_input("Laat", &["leerlingen"]))).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    stack.call("POST", &off, &moderator, reason()).await;
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(suspended(approved.body["client_id"].as_str().unwrap().to_owned()).await);
}

#[tokio::test]
async fn a_moderator_removes_blocked_scopes_so_the_client_can_be_linked() {
    let stack = Stack::start().await;
    stack
        .legacy_client(json!({
            "client_id": LEGACY_ID,
            "client_secret": LEGACY_SECRET,
            "scopes": ["leerlingen:012345", "rekeningen:012345"],
            "inactive_scopes": ["rekeningen:012345:groep-2019"]
        }))
        .await;
    let (token, _) = stack.partner(PARTNER, "Planner BV").await;
    let credentials = json!({"client_id": LEGACY_ID, "client_secret": LEGACY_SECRET});
    let refused = stack.call("POST", "/client-credentials/verify", &token, Some(credentials.clone())).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body["detail"].as_str().unwrap().contains("niet-actieve toegangsgroepen"));

    // Moderators only: other staff 403, a school administrator's (Informat) or a partner's
    // token 401 (the staff authorizer).
    let path = format!("/admin/clients/{LEGACY_ID}");
    let blocked = format!("{path}/blocked-scopes");
    let staff = stack.staff_token("ander@informat.be", &[]).await;
    let school_admin = stack.admin_token(ADMIN, "leerlingen:012345").await;
    for (method, route) in [("GET", &path), ("DELETE", &blocked)] {
        let other = stack.call(method, route, &staff, None).await;
        assert_eq!((other.status, other.problem_code()), (StatusCode::FORBIDDEN, "forbidden"), "{method} {route}");
        for outsider in [&school_admin, &token] {
            assert_eq!(stack.call(method, route, outsider, None).await.status, StatusCode::UNAUTHORIZED);
        }
    }
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let unknown = stack.call("GET", "/admin/clients/bestaat_niet", &moderator, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stack.call("DELETE", "/admin/clients/bestaat_niet/blocked-scopes", &moderator, None).await.status,
        StatusCode::NOT_FOUND
    );

    let read = stack.call("GET", &path, &moderator, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(
        read.body,
        json!({
            "client_id": LEGACY_ID,
            "application_id": null,
            "scopes": ["leerlingen:012345", "rekeningen:012345"],
            "blocked_scopes": ["rekeningen:012345:groep-2019"]
        })
    );
    let removed = stack.call("DELETE", &blocked, &moderator, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let expected = json!({
        "client_id": LEGACY_ID,
        "application_id": null,
        "scopes": ["leerlingen:012345", "rekeningen:012345"],
        "blocked_scopes": []
    });
    assert_eq!(removed.body, expected);
    assert_eq!(stack.call("GET", &path, &moderator, None).await.body, expected);

    // Now the partner verifies and links it: its scopes come along.
    let verified = stack.call("POST", "/client-credentials/verify", &token, Some(credentials.clone())).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    let mut body = application_input("Lessenplanner", &["leerlingen", "rekeningen"]);
    body["link"] = credentials;
    let linked = stack.call("POST", "/applications", &token, Some(body)).await;
    assert_eq!(linked.status, StatusCode::CREATED, "{}", linked.body);
    let after = stack.call("GET", &path, &moderator, None).await;
    assert_eq!(after.body["application_id"], linked.body["id"]);
    // Nothing left to remove: the same answer, nothing changes.
    assert_eq!(stack.call("DELETE", &blocked, &moderator, None).await.body, after.body);
}

/// The median of `samples`.
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn timed(stack: &Stack, id: &str, secret: &str) -> (Duration, Value) {
    let started = Instant::now();
    let answer = token_answer(stack, id, secret).await;
    let took = started.elapsed();
    assert!(matches!(answer.status, StatusCode::BAD_REQUEST), "{id}: {} {}", answer.status, answer.body);
    (took, answer.body)
}

/// Before: an unknown id was checked against an argon2id decoy (about 700 ms in a debug build)
/// while a known id with a generated secret took a SHA-256 check, so unknown ids were the slow
/// ones. Now both cost the same: medians of interleaved tries over HTTP, each the first try of
/// its id within the throttle's window (as an attacker probing ids sees it). The tolerance is
/// half the known median or 20 ms, whichever is more: wide for a busy 2-core machine, far below
/// the decoy's cost. `TIMING_TRIES=100 cargo test ... -- --nocapture` prints the figures.
#[tokio::test]
async fn an_unknown_client_id_costs_what_a_known_one_costs() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner(PARTNER, "Planner BV").await;
    let created = stack.call("POST", "/applications", &token, Some(application_input("Sync", &["leerlingen"]))).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    let known = approved.body["client_id"].as_str().unwrap().to_owned();
    stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    stack.legacy_client(json!({"client_id": LEGACY_ID, "client_secret": LEGACY_SECRET, "scopes": []})).await;

    let tries: usize = std::env::var("TIMING_TRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    let wrong = "a".repeat(43);
    let (mut known_times, mut unknown_times, mut legacy_times) = (Vec::new(), Vec::new(), Vec::new());
    // Warm up both paths once.
    timed(&stack, &known, &wrong).await;
    timed(&stack, "warm-up-onbekend", &wrong).await;
    for n in 0..tries {
        // A new throttle window every few tries, so every try is counted and checked in full.
        if n % 8 == 0 {
            stack.advance_clock(16 * 60).await;
        }
        let (k, known_body) = timed(&stack, &known, &wrong).await;
        let (u, unknown_body) = timed(&stack, &format!("onbekend-{n}"), &wrong).await;
        assert_eq!(known_body, unknown_body, "one answer for both");
        known_times.push(k);
        unknown_times.push(u);
        if n % 5 == 0 {
            legacy_times.push(timed(&stack, LEGACY_ID, &wrong).await.0);
        }
    }
    let (known_median, unknown_median) = (median(known_times), median(unknown_times));
    let legacy_median = median(legacy_times.clone());
    println!(
        "token endpoint, wrong secret, medians over {tries} tries: known id (generated secret) {known_median:?}, \
         unknown id {unknown_median:?}; known id with an imported argon2id secret {legacy_median:?} over {}",
        legacy_times.len()
    );
    let tolerance = Duration::from_millis(20).max(known_median / 2);
    let difference = unknown_median.abs_diff(known_median);
    assert!(
        difference < tolerance,
        "an unknown id takes {unknown_median:?}, a known one {known_median:?}: {difference:?} apart (at most {tolerance:?})"
    );
}

#[tokio::test]
async fn a_deactivation_needs_a_reason_that_the_partners_mail_carries() {
    let stack = Stack::start().await;
    let (token, profile) = stack.partner(PARTNER, "Planner BV").await;
    let partner_id = profile["id"].as_str().unwrap().to_owned();
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let path = format!("/admin/partners/{partner_id}/deactivate");
    let mails_before = stack.mails_to(PARTNER).await.len();
    let log_before = stack.call("GET", "/profile/logs", &token, None).await.body["items"].clone();

    // No reason, an empty one or one too long: 400 with the field's Dutch error, nothing stored.
    let refused = stack.call("POST", &path, &moderator, None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "no body: {}", refused.body);
    for (body, code) in [
        (json!({}), "required"),
        (json!({"reason": "   "}), "required"),
        (json!({"reason": "x".repeat(1001)}), "too_long"),
    ] {
        let refused = stack.call("POST", &path, &moderator, Some(body.clone())).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {}", refused.body);
        let error = &refused.body["errors"][0];
        assert_eq!((error["field"].as_str(), error["code"].as_str()), (Some("reason"), Some(code)), "{}", refused.body);
        assert!(!error["message"].as_str().unwrap().is_empty(), "a Dutch message: {}", refused.body);
    }
    assert_eq!(stack.call("GET", "/profile", &token, None).await.body["active"], true, "still active");
    assert_eq!(stack.call("GET", "/profile/logs", &token, None).await.body["items"], log_before, "nothing logged");
    assert_eq!(stack.mails_to(PARTNER).await.len(), mails_before, "nothing mailed");

    // With a reason: logged on the profile, and the mail says what happened and why.
    let off = stack.call("POST", &path, &moderator, reason()).await;
    assert_eq!((off.status, &off.body["active"]), (StatusCode::OK, &json!(false)), "{}", off.body);
    let logs = stack.call("GET", "/profile/logs", &token, None).await;
    assert!(
        logs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["property"] == "Reden van deactivering" && e["to"] == REASON && e["user"] == "Informat"),
        "{}",
        logs.body
    );
    let mails = stack.mails_to(PARTNER).await;
    assert_eq!(mails.len(), mails_before + 1, "one mail");
    let mail = mails.last().unwrap();
    assert_eq!(mail["subject"], "Je partnerprofiel in het Informat Partnerportaal is gedeactiveerd");
    for part in ["text", "html"] {
        assert!(mail[part].as_str().unwrap().contains(REASON), "{part}: {mail}");
    }

    let on = stack.call("POST", &format!("/admin/partners/{partner_id}/activate"), &moderator, None).await;
    assert_eq!((on.status, &on.body["active"]), (StatusCode::OK, &json!(true)), "{}", on.body);
    let mails = stack.mails_to(PARTNER).await;
    assert_eq!(
        mails.last().unwrap()["subject"],
        "Je partnerprofiel in het Informat Partnerportaal is opnieuw geactiveerd"
    );
}

/// What storing `request` alone does.
fn requested(request: &portal::domain::AccessRequest) -> portal::domain::Change {
    portal::domain::Change::AccessRequested {
        application: request.application_id.clone(),
        partner: request.partner_id.clone(),
        requests: vec![request.id.clone()],
        by: request.requested_by.clone(),
        at: request.created_at,
    }
}
