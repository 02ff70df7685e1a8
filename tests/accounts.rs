//! Partner accounts and sessions over HTTP: the first table of api.md and GET /me, with the
//! manual's journey (register, activation mail, activate, sign in) and its error cases.
#![allow(clippy::unwrap_used)]

use portal_e2e::{PASSWORD, PORTAL_URL, Stack};
use reqwest::StatusCode;
use serde_json::json;

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
    assert_eq!(me.body, json!({"email": email, "profile": null}));

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
    let answer = stack.post("/accounts/forgot-password", json!({"email": "Reset@School.be"})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let token = stack.link_token("reset@school.be", "wachtwoord-herstellen").await;
    let new_password = "Nieuw!Wachtw00rd";

    // A weak password is refused and does not use up the link.
    let weak = stack.post("/accounts/reset-password", json!({"token": token, "password": "zwak"})).await;
    assert_eq!(weak.problem_code(), "validation_failed");
    assert_eq!(weak.body["errors"][0]["code"], "weak_password");

    let done = stack.post("/accounts/reset-password", json!({"token": token, "password": new_password})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
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
