//! Partner accounts and sessions over HTTP: the first table of api.md and GET /me, with the
//! manual's journey (register, activation mail, activate, sign in) and its error cases.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use portal_e2e::{PASSWORD, PORTAL_URL, Stack, profile_input};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn register_activate_sign_in_and_me() {
    let stack = Stack::start().await;
    let email = "jan.peeters@school.be";

    // Mixed case and spaces are the same address.
    let answer = stack.register("  Jan.Peeters@School.be ", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.body, json!({"status": "activation_mail_sent"}));

    let mails = stack.mails_to(email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["from"], "info@informat.be");
    assert_eq!(mails[0]["subject"], "Informat – Activeer je partneraccount");
    assert!(mails[0]["html"].as_str().unwrap().contains("Activeer je partneraccount"));
    let token = stack.link_token(email, "activeren").await;
    assert!(mails[0]["text"].as_str().unwrap().contains(&format!("{PORTAL_URL}/activeren?token={token}")));

    // Not yet activated: the right password gets a clear refusal.
    let answer = stack.sign_in(email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.problem_code(), "account_not_activated");

    let answer = stack.post("/accounts/activate", json!({"token": token})).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);

    let session = stack.sign_in(email, PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    assert_eq!(session.headers["cache-control"], "no-store");
    for field in ["access_token", "id_token", "refresh_token"] {
        assert!(
            session.body[field].as_str().is_some_and(|t| t.split('.').count() == 3 || field == "refresh_token"),
            "{field}"
        );
    }
    assert!(session.body["expires_in"].as_i64().is_some_and(|s| s > 0));
    assert_eq!(session.body["token_type"], "Bearer");

    let access = session.body["access_token"].as_str().unwrap();
    let me = stack.get("/me", Some(access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], email);
    assert_eq!(me.body["profile"], Value::Null);
    // The account records which terms it accepted, and when (at registration).
    assert_eq!(me.body["terms"]["version"], portal::domain::TERMS_VERSION);
    let accepted_at = chrono::DateTime::parse_from_rfc3339(me.body["terms"]["accepted_at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - accepted_at.to_utc()).num_seconds().abs() < 120, "{accepted_at}");

    let refreshed = stack.post("/sessions/refresh", json!({"refresh_token": session.body["refresh_token"]})).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert!(refreshed.body.get("refresh_token").is_none());
    let me = stack.get("/me", refreshed.body["access_token"].as_str()).await;
    assert_eq!(me.status, StatusCode::OK);
}

#[tokio::test]
async fn registration_refuses_bad_input_and_sends_nothing() {
    let stack = Stack::start().await;
    let cases = [
        (
            json!({"email": "a@school.be", "password": "zwakwachtwoord", "accept_terms": true}),
            "password",
            "weak_password",
        ),
        (json!({"email": "a@school.be", "password": "Kort!1a", "accept_terms": true}), "password", "weak_password"),
        (
            json!({"email": "a@school.be", "password": PASSWORD, "accept_terms": false}),
            "accept_terms",
            "terms_not_accepted",
        ),
        (json!({"email": "a@school.be", "password": PASSWORD}), "accept_terms", "terms_not_accepted"),
        (json!({"email": "informat_gebruiker", "password": PASSWORD, "accept_terms": true}), "email", "invalid_email"),
        (json!({"password": PASSWORD, "accept_terms": true}), "email", "required"),
    ];
    for (body, field, code) in cases {
        let answer = stack.post("/accounts", body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.problem_code(), "validation_failed");
        let errors = answer.body["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{body}: {errors:?}");
    }
    // All problems at once.
    let answer = stack.post("/accounts", json!({"email": "x", "password": "x", "accept_terms": false})).await;
    assert_eq!(answer.body["errors"].as_array().unwrap().len(), 3);
    assert!(stack.mails_to("a@school.be").await.is_empty());
    // Nothing was created: a valid registration afterwards is a new account with one mail.
    assert_eq!(stack.register("a@school.be", PASSWORD).await.status, StatusCode::ACCEPTED);
    assert_eq!(stack.mails_to("a@school.be").await.len(), 1);
}

#[tokio::test]
async fn activation_tokens_work_once_and_expire() {
    let stack = Stack::start().await;
    stack.register("once@school.be", PASSWORD).await;
    let token = stack.link_token("once@school.be", "activeren").await;

    // Two uses at the same moment: exactly one wins.
    let (a, b) = tokio::join!(
        stack.post("/accounts/activate", json!({"token": token})),
        stack.post("/accounts/activate", json!({"token": token}))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST]);

    let reused = stack.post("/accounts/activate", json!({"token": token})).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.problem_code(), "invalid_token");

    for bogus in [json!({"token": "niet-een-token"}), json!({"token": "A".repeat(43)}), json!({})] {
        let answer = stack.post("/accounts/activate", bogus).await;
        assert_eq!(answer.problem_code(), "invalid_token");
        // One answer for unknown, used and malformed tokens.
        assert_eq!(answer.body["detail"], reused.body["detail"]);
    }

    stack.register("late@school.be", PASSWORD).await;
    let late = stack.link_token("late@school.be", "activeren").await;
    stack.advance_clock(7 * 24 * 3600 + 1).await;
    let expired = stack.post("/accounts/activate", json!({"token": late})).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert_eq!(expired.problem_code(), "invalid_token");
    assert_eq!(stack.sign_in("late@school.be", PASSWORD).await.problem_code(), "account_not_activated");
}

#[tokio::test]
async fn sign_in_gives_one_answer_for_wrong_password_and_unknown_email() {
    let stack = Stack::start().await;
    stack.activated_account("known@school.be").await;
    let wrong = stack.sign_in("known@school.be", "Fout!Wachtw00rd").await;
    let unknown = stack.sign_in("nobody@school.be", PASSWORD).await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.problem_code(), "invalid_credentials");
    }
    assert_eq!(wrong.body, unknown.body);
    let missing = stack.post("/sessions", json!({"email": "known@school.be"})).await;
    assert_eq!(missing.problem_code(), "validation_failed");
    let bad_refresh = stack.post("/sessions/refresh", json!({"refresh_token": "garbage"})).await;
    assert_eq!(bad_refresh.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_refresh.problem_code(), "invalid_credentials");
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled() {
    let stack = Stack::start().await;
    stack.activated_account("target@school.be").await;
    for _ in 0..5 {
        assert_eq!(stack.sign_in("target@school.be", "Fout!Wachtw00rd").await.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, and the answer says how long.
    let throttled = stack.sign_in("target@school.be", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.problem_code(), "too_many_attempts");
    let retry_after: i64 = throttled.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Unknown addresses are throttled the same way (no hint that an address exists).
    for _ in 0..5 {
        stack.sign_in("ghost@school.be", PASSWORD).await;
    }
    assert_eq!(stack.sign_in("ghost@school.be", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Other addresses are not affected; after the window the account works again.
    assert_eq!(stack.sign_in("other@school.be", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    stack.advance_clock(15 * 60 + 1).await;
    assert_eq!(stack.sign_in("target@school.be", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn me_needs_a_partner_access_token() {
    let stack = Stack::start().await;
    let answer = stack.get("/me", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stack.get("/me", Some("not.a.jwt")).await.status, StatusCode::UNAUTHORIZED);

    stack.activated_account("me@school.be").await;
    let session = stack.sign_in("me@school.be", PASSWORD).await;
    // The ID token passes the gateway (same pool and client) but is no access token.
    let with_id_token = stack.get("/me", session.body["id_token"].as_str()).await;
    assert_eq!(with_id_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(with_id_token.problem_code(), "unauthorized");
    // A token of the staff pool is refused by the partner authorizer.
    let staff = stack
        .post(
            "/_local/staff-users",
            json!({"email": "mod@informat.be", "password": PASSWORD, "groups": ["moderators"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.body);
    for token in ["id_token", "access_token"] {
        assert_eq!(stack.get("/me", staff.body[token].as_str()).await.status, StatusCode::UNAUTHORIZED, "{token}");
    }
}

#[tokio::test]
async fn registering_again_answers_the_same_and_mails_the_owner() {
    let stack = Stack::start().await;
    stack.activated_account("active@school.be").await;
    let again = stack.register("active@school.be", "Ander!Wachtw00rd").await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.body, json!({"status": "activation_mail_sent"}));
    let mails = stack.mails_to("active@school.be").await;
    assert_eq!(mails.last().unwrap()["subject"], "Informat – Je partneraccount bestaat al");
    // Nothing changed: the old password still works, the new one does not.
    assert_eq!(stack.sign_in("active@school.be", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(stack.sign_in("active@school.be", "Ander!Wachtw00rd").await.status, StatusCode::UNAUTHORIZED);

    // A registration that was never activated gets a fresh activation link.
    stack.register("pending@school.be", PASSWORD).await;
    let first = stack.link_token("pending@school.be", "activeren").await;
    assert_eq!(stack.register("pending@school.be", PASSWORD).await.status, StatusCode::ACCEPTED);
    let second = stack.link_token("pending@school.be", "activeren").await;
    assert_ne!(first, second);
    assert_eq!(stack.post("/accounts/activate", json!({"token": second})).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn forgot_password_resets_and_rescues_unactivated_accounts() {
    let stack = Stack::start().await;
    // Unknown address: the same answer, no mail.
    let answer = stack.post("/accounts/forgot-password", json!({"email": "nobody@school.be"})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert!(stack.mails_to("nobody@school.be").await.is_empty());
    assert_eq!(
        stack.post("/accounts/forgot-password", json!({"email": "geen-adres"})).await.problem_code(),
        "validation_failed"
    );

    stack.activated_account("reset@school.be").await;
    stack.local.aws_requests.take();
    let answer = stack.post("/accounts/forgot-password", json!({"email": "Reset@School.be"})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    // The address's mail count while the account is looked up (its address, then itself); the
    // new token; the mail: four round trips one after the other.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [
        ("DynamoDB.GetItem", 2),
        ("DynamoDB.TransactWriteItems", 1),
        ("DynamoDB.UpdateItem", 1),
        ("SESv2.SendEmail", 1),
    ];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what a request sends");
    assert_eq!(chain, 4, "{requests:?}");
    let token = stack.link_token("reset@school.be", "wachtwoord-herstellen").await;
    let new_password = "Nieuw!Wachtw00rd";

    // A weak password is refused and does not use up the link.
    let weak = stack.post("/accounts/reset-password", json!({"token": token, "password": "zwak"})).await;
    assert_eq!(weak.problem_code(), "validation_failed");
    assert_eq!(weak.body["errors"][0]["code"], "weak_password");

    // Started at the top of a second, so the sign-out ends within the second its sessions end at.
    let into_second = chrono::Utc::now().timestamp_subsec_millis();
    tokio::time::sleep(std::time::Duration::from_millis(u64::from(1000 - into_second.min(999)))).await;
    stack.local.aws_requests.take();
    let done = stack.post("/accounts/reset-password", json!({"token": token, "password": new_password})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    // The link used up; the account; the new password; then the sign-out everywhere, the end of
    // the sessions and the throttle's removal together: four round trips one after the other.
    // (Had the sign-out ended in a later second, the sessions' end would be written again: a
    // second UpdateItem, a fifth round trip.)
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [
        ("Cognito Identity Provider.AdminSetUserPassword", 1),
        ("Cognito Identity Provider.AdminUserGlobalSignOut", 1),
        ("DynamoDB.DeleteItem", 2),
        ("DynamoDB.GetItem", 1),
        ("DynamoDB.UpdateItem", 1),
    ];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what a reset sends");
    assert_eq!(chain, 4, "{requests:?}");
    assert_eq!(stack.sign_in("reset@school.be", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stack.sign_in("reset@school.be", new_password).await.status, StatusCode::OK);
    let reused = stack.post("/accounts/reset-password", json!({"token": token, "password": PASSWORD})).await;
    assert_eq!(reused.problem_code(), "invalid_token");

    // The manual's tip: no activation mail? "Wachtwoord vergeten?" activates the account too.
    stack.register("lost@school.be", PASSWORD).await;
    stack.post("/accounts/forgot-password", json!({"email": "lost@school.be"})).await;
    let mail = stack.mails_to("lost@school.be").await.pop().unwrap();
    assert!(mail["text"].as_str().unwrap().contains("meteen ook geactiveerd"));
    let token = stack.link_token("lost@school.be", "wachtwoord-herstellen").await;
    assert_eq!(
        stack.post("/accounts/reset-password", json!({"token": token, "password": new_password})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(stack.sign_in("lost@school.be", new_password).await.status, StatusCode::OK);

    // Reset links last one hour.
    stack.post("/accounts/forgot-password", json!({"email": "lost@school.be"})).await;
    let token = stack.link_token("lost@school.be", "wachtwoord-herstellen").await;
    stack.advance_clock(3600).await;
    let expired = stack.post("/accounts/reset-password", json!({"token": token, "password": PASSWORD})).await;
    assert_eq!(expired.problem_code(), "invalid_token");
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let stack = Stack::start().await;
    let url = stack.url("/accounts");
    let not_json =
        stack.send(stack.http.post(&url).header("content-type", "application/json").body("{niet json")).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.problem_code(), "invalid_request");
    let wrong_type = stack.send(stack.http.post(&url).header("content-type", "text/plain").body("{}")).await;
    assert_eq!(wrong_type.problem_code(), "invalid_request");
    let unknown_field = stack
        .post("/accounts", json!({"email": "a@school.be", "password": PASSWORD, "accept_terms": true, "admin": true}))
        .await;
    assert_eq!(unknown_field.problem_code(), "invalid_request");
    assert!(unknown_field.body["detail"].as_str().unwrap().contains("admin"));
    let huge = json!({"email": "a@school.be", "password": "x".repeat(70 * 1024), "accept_terms": true});
    let too_large = stack.post("/accounts", huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.problem_code(), "payload_too_large");
    assert!(stack.mails_to("a@school.be").await.is_empty());
}

/// Mails of one kind to one address: 3 an hour, then the same answer and no mail.
#[tokio::test]
async fn mails_to_one_address_are_capped_per_hour() {
    let stack = Stack::start().await;
    let subjects = |mails: &[Value], subject: &str| mails.iter().filter(|m| m["subject"] == subject).count();
    const RESET: &str = "Informat – Kies een nieuw wachtwoord";
    const EXISTS: &str = "Informat – Je partneraccount bestaat al";
    const ACTIVATION: &str = "Informat – Activeer je partneraccount";

    stack.activated_account("flood@school.be").await;
    for _ in 0..6 {
        let answer = stack.post("/accounts/forgot-password", json!({"email": "flood@school.be"})).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
        assert_eq!(stack.register("flood@school.be", PASSWORD).await.status, StatusCode::ACCEPTED);
    }
    let mails = stack.mails_to("flood@school.be").await;
    assert_eq!(subjects(&mails, RESET), 3, "reset mails");
    assert_eq!(subjects(&mails, EXISTS), 3, "account-exists mails");
    assert_eq!(subjects(&mails, ACTIVATION), 1);

    // A registration that is not activated: its activation mails count the same way.
    for _ in 0..5 {
        assert_eq!(stack.register("pending-flood@school.be", PASSWORD).await.status, StatusCode::ACCEPTED);
    }
    assert_eq!(subjects(&stack.mails_to("pending-flood@school.be").await, ACTIVATION), 3);

    // An hour later the address gets mail again.
    stack.advance_clock(3600).await;
    stack.post("/accounts/forgot-password", json!({"email": "flood@school.be"})).await;
    assert_eq!(subjects(&stack.mails_to("flood@school.be").await, RESET), 4);
}

/// A password reset ends every session: refresh tokens and older access tokens stop working.
#[tokio::test]
async fn a_password_reset_ends_every_session() {
    let stack = Stack::start().await;
    let email = "sessie@school.be";
    let (_, _) = stack.partner(email, "Sessie BV").await;
    let old = stack.sign_in(email, PASSWORD).await;
    assert_eq!(old.status, StatusCode::OK);
    let old_access = old.body["access_token"].as_str().unwrap();
    let old_refresh = old.body["refresh_token"].clone();
    for path in ["/me", "/profile"] {
        assert_eq!(stack.get(path, Some(old_access)).await.status, StatusCode::OK, "{path} before the reset");
    }

    stack.post("/accounts/forgot-password", json!({"email": email})).await;
    let token = stack.link_token(email, "wachtwoord-herstellen").await;
    let new_password = "Nieuw!Wachtw00rd";
    let done = stack.post("/accounts/reset-password", json!({"token": token, "password": new_password})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);

    // Right after the reset: a new sign-in works, at once.
    let new = stack.sign_in(email, new_password).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    let new_access = new.body["access_token"].as_str().unwrap();
    for path in ["/me", "/profile"] {
        assert_eq!(stack.get(path, Some(new_access)).await.status, StatusCode::OK, "{path} with the new session");
    }
    // The old session is over: its refresh token and its access token.
    let refreshed = stack.post("/sessions/refresh", json!({"refresh_token": old_refresh})).await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED, "{}", refreshed.body);
    assert_eq!(refreshed.problem_code(), "invalid_credentials");
    for path in ["/me", "/profile"] {
        let answer = stack.get(path, Some(old_access)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}: {}", answer.body);
        assert_eq!(answer.problem_code(), "unauthorized");
    }
    let edit = stack.call("PUT", "/profile", old_access, Some(profile_input("Overgenomen BV"))).await;
    assert_eq!(edit.status, StatusCode::UNAUTHORIZED);
    // The new session's refresh token works.
    let refreshed = stack.post("/sessions/refresh", json!({"refresh_token": new.body["refresh_token"]})).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert_eq!(stack.get("/me", refreshed.body["access_token"].as_str()).await.status, StatusCode::OK);
}

/// A newer reset link makes every older one unusable, before and after it is used.
#[tokio::test]
async fn only_the_newest_reset_link_works() {
    let stack = Stack::start().await;
    let email = "links@school.be";
    stack.activated_account(email).await;
    let mut links = Vec::new();
    for _ in 0..3 {
        stack.post("/accounts/forgot-password", json!({"email": email})).await;
        links.push(stack.link_token(email, "wachtwoord-herstellen").await);
    }
    let reset = |token: &str, password: &str| {
        stack.post("/accounts/reset-password", json!({"token": token, "password": password}))
    };
    // The oldest, before the newest was used.
    let oldest = reset(&links[0], "Eerste!Wachtw00rd").await;
    assert_eq!(oldest.status, StatusCode::BAD_REQUEST);
    assert_eq!(oldest.problem_code(), "invalid_token");
    assert_eq!(reset(&links[2], "Nieuw!Wachtw00rd").await.status, StatusCode::NO_CONTENT);
    // The middle one, after the newest was used.
    let middle = reset(&links[1], "Tweede!Wachtw00rd").await;
    assert_eq!(middle.problem_code(), "invalid_token");
    assert_eq!(stack.sign_in(email, "Nieuw!Wachtw00rd").await.status, StatusCode::OK);
    assert_eq!(stack.sign_in(email, "Tweede!Wachtw00rd").await.status, StatusCode::UNAUTHORIZED);
}

/// Median of what `call` takes, over `tries`.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Registration and "Wachtwoord vergeten?" take the same time for existing and unknown
/// addresses. Medians of `ACCOUNT_TIMING_TRIES` (default 15) tries each, interleaved; the
/// difference must stay under 5 ms (before, existing addresses took 2 to 3 times as long).
#[tokio::test]
async fn existing_and_unknown_addresses_take_the_same_time() {
    let stack = Stack::start().await;
    let tries: usize = std::env::var("ACCOUNT_TIMING_TRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(15);
    stack.activated_account("bestaat@school.be").await;
    let timed = |body: Value, path: &'static str| {
        let stack = &stack;
        async move {
            let started = Instant::now();
            let answer = stack.post(path, body).await;
            let took = started.elapsed();
            assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
            took
        }
    };
    let (mut forgot_known, mut forgot_unknown, mut register_known, mut register_new) = (vec![], vec![], vec![], vec![]);
    for n in 0..tries {
        if n % 3 == 0 {
            // Every try of an existing address sends its mail (3 an hour).
            stack.advance_clock(3600).await;
        }
        let unknown = format!("onbekend-{n}@school.be");
        forgot_known.push(timed(json!({"email": "bestaat@school.be"}), "/accounts/forgot-password").await);
        forgot_unknown.push(timed(json!({"email": unknown}), "/accounts/forgot-password").await);
        let body = |email: &str| json!({"email": email, "password": PASSWORD, "accept_terms": true});
        register_known.push(timed(body("bestaat@school.be"), "/accounts").await);
        register_new.push(timed(body(&format!("nieuw-{n}@school.be")), "/accounts").await);
    }
    let mails = stack.mails_to("bestaat@school.be").await;
    assert!(mails.len() > tries, "the existing address got its mails: {}", mails.len());
    for (what, known, unknown) in
        [("forgot-password", forgot_known, forgot_unknown), ("registration", register_known, register_new)]
    {
        let (known, unknown) = (median(known), median(unknown));
        let difference = known.abs_diff(unknown);
        eprintln!("{what}: existing {known:?}, unknown {unknown:?} (medians of {tries})");
        assert!(difference < Duration::from_millis(5), "{what}: existing {known:?}, unknown {unknown:?}");
    }
}

/// Wrong passwords from one source do not lock the owner out elsewhere; the source itself is
/// stopped, also when it tries many addresses.
#[tokio::test]
async fn one_source_cannot_lock_the_owner_out() {
    let stack = Stack::start().await;
    let email = "eigenaar@school.be";
    stack.activated_account(email).await;
    let from = |last: u8| reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, last])).build().unwrap();
    let attacker = from(2);
    let sign_in = |client: &reqwest::Client, email: &str, password: &str| {
        stack.send(client.post(stack.url("/sessions")).json(&json!({"email": email, "password": password})))
    };
    for _ in 0..10 {
        let answer = sign_in(&attacker, email, "Fout!Wachtw00rd").await;
        assert!([StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&answer.status));
    }
    let throttled = sign_in(&attacker, email, PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.problem_code(), "too_many_attempts");
    // The owner, from another address, signs in.
    let owner = stack.sign_in(email, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);

    // A source that guesses many addresses is stopped after 20 failures, whatever the address.
    let guesser = from(3);
    for n in 0..20 {
        let answer = sign_in(&guesser, &format!("gok-{n}@school.be"), PASSWORD).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "try {n}");
    }
    assert_eq!(sign_in(&guesser, "nog-een@school.be", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in(&guesser, email, PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(stack.sign_in(email, PASSWORD).await.status, StatusCode::OK);
}

/// Addresses the user pool would refuse are refused as input, never a 500.
#[tokio::test]
async fn addresses_the_user_pool_refuses_are_invalid_input() {
    let stack = Stack::start().await;
    for email in ["über@partner-x.be", "\"jan peeters\"@partner-x.be", "jan@bücher.be", "jan..p@partner-x.be"] {
        let answer = stack.register(email, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{email}: {}", answer.body);
        assert_eq!(answer.problem_code(), "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], "email");
        assert_eq!(answer.body["errors"][0]["code"], "invalid_email", "{email}");
        for path in ["/accounts/forgot-password", "/sessions"] {
            let answer = stack.post(path, json!({"email": email, "password": PASSWORD})).await;
            assert!(answer.status.is_client_error(), "{path} {email}: {}", answer.status);
        }
    }
    // The punycode form of an internationalised domain is an address the pool takes.
    assert_eq!(stack.register("jan@xn--bcher-kva.be", PASSWORD).await.status, StatusCode::ACCEPTED);
}

/// A new password must not be easy to guess; an existing one still signs in.
#[tokio::test]
async fn guessable_passwords_are_refused_with_a_hint() {
    let stack = Stack::start().await;
    for password in ["Password1!", "Welkom01!", "Zwak@School.be1"] {
        let answer = stack.register("zwak@school.be", password).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(answer.body["errors"][0]["code"], "weak_password", "{password}");
        assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("wachtzin"));
    }
    assert!(stack.mails_to("zwak@school.be").await.is_empty());

    // A reset to a guessable password is refused and keeps the link working.
    stack.activated_account("herstel@school.be").await;
    stack.post("/accounts/forgot-password", json!({"email": "herstel@school.be"})).await;
    let token = stack.link_token("herstel@school.be", "wachtwoord-herstellen").await;
    for password in ["Welkom01!", "Herstel@School.be1"] {
        let weak = stack.post("/accounts/reset-password", json!({"token": token, "password": password})).await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(weak.body["errors"][0]["code"], "weak_password", "{password}");
    }
    let done = stack.post("/accounts/reset-password", json!({"token": token, "password": "Fiets!Wolk7Paprika"})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);

    // A password set before this rule (here straight in the pool) still signs in.
    let email = portal::domain::Email::parse("email", "herstel@school.be").unwrap();
    let old = portal::domain::Password::parse("password", "Welkom01!").unwrap();
    stack.local.deps.identity.set_password(&email, &old).await.unwrap();
    assert_eq!(stack.sign_in("herstel@school.be", "Welkom01!").await.status, StatusCode::OK);
}

/// Sign-out (POST /sessions/revoke) ends the session: the refresh token taken before gives no new
/// tokens. An unknown or already revoked token gets the same 204 (no oracle).
#[tokio::test]
async fn a_revoked_refresh_token_gives_no_new_tokens() {
    let stack = Stack::start().await;
    let email = "afmelden@example.com";
    stack.activated_account(email).await;
    let session = stack.sign_in(email, PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    let refresh_token = session.body["refresh_token"].clone();

    let revoked = stack.post("/sessions/revoke", json!({"refresh_token": refresh_token})).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    let refused = stack.post("/sessions/refresh", json!({"refresh_token": refresh_token})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.problem_code(), "invalid_credentials");

    for token in [refresh_token, json!("niet-een-token"), json!("")] {
        let again = stack.post("/sessions/revoke", json!({"refresh_token": token})).await;
        assert_eq!(again.status, StatusCode::NO_CONTENT, "{}", again.body);
    }
}

#[tokio::test]
async fn the_reset_link_says_what_it_can_do_before_it_is_used() {
    let stack = Stack::start().await;
    let email = "check@school.be";
    stack.activated_account(email).await;
    let check = |token: &str| stack.post("/accounts/reset-password/check", json!({"token": token}));
    stack.post("/accounts/forgot-password", json!({"email": email})).await;
    let first = stack.link_token(email, "wachtwoord-herstellen").await;
    let answer = check(&first).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, json!({"status": "usable"}));
    // Checking does not use it up.
    assert_eq!(check(&first).await.body, json!({"status": "usable"}));

    // A newer link replaces it.
    stack.post("/accounts/forgot-password", json!({"email": email})).await;
    let second = stack.link_token(email, "wachtwoord-herstellen").await;
    assert_eq!(check(&first).await.body, json!({"status": "replaced"}));
    assert_eq!(check(&second).await.body, json!({"status": "usable"}));

    // Used: unusable, as an unknown or malformed token is.
    let done = stack.post("/accounts/reset-password", json!({"token": second, "password": "Nieuw!Wachtw00rd"})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert_eq!(check(&second).await.body, json!({"status": "unusable"}));
    assert_eq!(check("onbekend").await.body, json!({"status": "unusable"}));
    assert_eq!(check(&"A".repeat(43)).await.body, json!({"status": "unusable"}));
    assert_eq!(stack.post("/accounts/reset-password/check", json!({})).await.body, json!({"status": "unusable"}));

    // Past its hour: expired.
    stack.post("/accounts/forgot-password", json!({"email": email})).await;
    let third = stack.link_token(email, "wachtwoord-herstellen").await;
    stack.advance_clock(3600).await;
    assert_eq!(check(&third).await.body, json!({"status": "expired"}));
}
