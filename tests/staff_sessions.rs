//! The back office's sign-in (POST /staff/sessions and /staff/sessions/refresh, issue 15): tokens
//! of the staff pool, one answer for an unknown address and a wrong password, a throttle of its
//! own, and no crossing between the partner pool and the staff pool.
#![allow(clippy::unwrap_used)]
use std::net::IpAddr;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use base64::Engine as _;
use portal_e2e::{PASSWORD, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The claims of a JWT (not verified: the stack's authorizer does that).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn a_moderator_signs_in_refreshes_and_reaches_the_queue() {
    let stack = Stack::start().await;
    stack.staff_token("moderator@informat.be", &["moderators"]).await;

    let session = stack.post("/staff/sessions", json!({"email": "moderator@informat.be", "password": PASSWORD})).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    for field in ["access_token", "id_token", "refresh_token", "expires_in", "token_type"] {
        assert!(!session.body[field].is_null(), "{field} missing: {}", session.body);
    }
    let id_token = session.body["id_token"].as_str().unwrap();
    let issuer = claims(id_token)["iss"].as_str().unwrap().to_owned();
    assert!(issuer.ends_with(&stack.local.resources.staff_user_pool_id), "not the staff pool: {issuer}");
    assert_eq!(claims(id_token)["cognito:groups"], json!(["moderators"]));
    let queue = stack.get("/admin/applications", Some(id_token)).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.headers["cache-control"], "no-store");

    let refreshed =
        stack.post("/staff/sessions/refresh", json!({"refresh_token": session.body["refresh_token"]})).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert!(refreshed.body["refresh_token"].is_null(), "a refresh gives no new refresh token");
    let queue = stack.get("/admin/applications", refreshed.body["id_token"].as_str()).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);

    for token in ["", "niet-een-token"] {
        let refused = stack.post("/staff/sessions/refresh", json!({"refresh_token": token})).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(refused.problem_code(), "invalid_credentials");
    }
}

#[tokio::test]
async fn one_answer_for_a_wrong_password_and_an_unknown_address() {
    let stack = Stack::start().await;
    stack.admin_token("directie@school.be", "leerlingen:012345").await;
    let wrong =
        stack.post("/staff/sessions", json!({"email": "directie@school.be", "password": "Fout!Wachtw00rd"})).await;
    let unknown = stack.post("/staff/sessions", json!({"email": "niemand@school.be", "password": PASSWORD})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body, "the answers differ");
    assert_eq!(wrong.problem_code(), "invalid_credentials");
    assert_eq!(wrong.body["detail"], "Het e-mailadres of wachtwoord is niet correct.");

    // Bad input is a field error, as on the partner sign-in.
    let bad = stack.post("/staff/sessions", json!({"email": "geen-adres", "password": ""})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "password"]);
    let unknown_field =
        stack.post("/staff/sessions", json!({"email": "a@b.be", "password": "x", "pool": "staff"})).await;
    assert_eq!(unknown_field.problem_code(), "invalid_request");
}

/// The two pools do not cross: a partner's credentials do not open the back office, a staff
/// user's do not open the partner portal, and a partner's tokens are no staff tokens.
#[tokio::test]
async fn partner_and_staff_credentials_do_not_cross() {
    let stack = Stack::start().await;
    stack.activated_account("partner@voorbeeld.be").await;
    stack.staff_token("moderator@informat.be", &["moderators"]).await;

    let partner_at_back_office =
        stack.post("/staff/sessions", json!({"email": "partner@voorbeeld.be", "password": PASSWORD})).await;
    assert_eq!(partner_at_back_office.status, StatusCode::UNAUTHORIZED, "{}", partner_at_back_office.body);
    let staff_at_portal =
        stack.post("/sessions", json!({"email": "moderator@informat.be", "password": PASSWORD})).await;
    assert_eq!(staff_at_portal.status, StatusCode::UNAUTHORIZED, "{}", staff_at_portal.body);

    let partner = stack.sign_in("partner@voorbeeld.be", PASSWORD).await;
    for token in ["id_token", "access_token"] {
        let queue = stack.get("/admin/applications", partner.body[token].as_str()).await;
        assert_eq!(queue.status, StatusCode::UNAUTHORIZED, "a partner's {token} opened the queue");
    }
    let refresh = stack.post("/staff/sessions/refresh", json!({"refresh_token": partner.body["refresh_token"]})).await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "a partner's refresh token gave staff tokens");

    // A staff pool user outside `moderators` has a session, but not a moderator's.
    let body = json!({"email": "ander@informat.be", "password": PASSWORD, "groups": []});
    assert_eq!(stack.post("/_local/staff-users", body).await.status, StatusCode::CREATED);
    let other = stack.post("/staff/sessions", json!({"email": "ander@informat.be", "password": PASSWORD})).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    let queue = stack.get("/admin/applications", other.body["id_token"].as_str()).await;
    assert_eq!(queue.status, StatusCode::FORBIDDEN);
    // A school administrator signs in at Informat: the back office's own sign-in does not know it.
    stack.admin_token("directie@school.be", "leerlingen:012345").await;
    let admin = stack.post("/staff/sessions", json!({"email": "directie@school.be", "password": PASSWORD})).await;
    assert_eq!(admin.status, StatusCode::UNAUTHORIZED, "{}", admin.body);
}

/// Failed back-office sign-ins are throttled like the partner's, with counters of their own:
/// a guesser at the back office does not lock the same address out of the partner portal.
#[tokio::test]
async fn failed_staff_sign_ins_are_throttled_apart_from_the_partner_pool() {
    let stack = Stack::start().await;
    let email = "dubbel@informat.be";
    stack.staff_token(email, &["moderators"]).await;
    stack.activated_account(email).await;
    let attacker = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let staff_sign_in = |client: &reqwest::Client, password: &str| {
        stack.send(client.post(stack.url("/staff/sessions")).json(&json!({"email": email, "password": password})))
    };
    for n in 0..5 {
        let answer = staff_sign_in(&attacker, "Fout!Wachtw00rd").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "try {n}: {}", answer.body);
    }
    let throttled = staff_sign_in(&attacker, PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{}", throttled.body);
    assert_eq!(throttled.problem_code(), "too_many_attempts");
    assert!(throttled.headers.contains_key("retry-after"));
    // The same address and source at the partner portal: its own counters, not throttled.
    let partner =
        stack.send(attacker.post(stack.url("/sessions")).json(&json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(partner.status, StatusCode::OK, "{}", partner.body);
    // The moderator from elsewhere still signs in to the back office.
    let owner = stack.post("/staff/sessions", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
}

/// A user Informat created with a temporary password gets a clear answer, not a 5xx.
#[tokio::test]
async fn a_temporary_password_asks_for_a_new_one() {
    let stack = Stack::start().await;
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    cognito
        .admin_create_user()
        .user_pool_id(&stack.local.resources.staff_user_pool_id)
        .username("nieuw@informat.be")
        .temporary_password(PASSWORD)
        .message_action(MessageActionType::Suppress)
        .user_attributes(AttributeType::builder().name("email").value("nieuw@informat.be").build().unwrap())
        .send()
        .await
        .unwrap();
    let answer = stack.post("/staff/sessions", json!({"email": "nieuw@informat.be", "password": PASSWORD})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(answer.problem_code(), "password_change_required");
    assert!(answer.body["detail"].as_str().unwrap().contains("tijdelijk"));
}

/// Sign-out (POST /staff/sessions/revoke) ends the session: the refresh token taken before gives
/// no new tokens. An unknown or already revoked token gets the same 204 (no oracle).
#[tokio::test]
async fn a_revoked_staff_refresh_token_gives_no_new_tokens() {
    let stack = Stack::start().await;
    stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let session = stack.post("/staff/sessions", json!({"email": "moderator@informat.be", "password": PASSWORD})).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    let refresh_token = session.body["refresh_token"].clone();

    let revoked = stack.post("/staff/sessions/revoke", json!({"refresh_token": refresh_token})).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    let refused = stack.post("/staff/sessions/refresh", json!({"refresh_token": refresh_token})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.problem_code(), "invalid_credentials");

    for token in [refresh_token, json!("niet-een-token"), json!("")] {
        let again = stack.post("/staff/sessions/revoke", json!({"refresh_token": token})).await;
        assert_eq!(again.status, StatusCode::NO_CONTENT, "{}", again.body);
    }
}

/// The emulator refuses what Cognito refuses: answering user A's NEW_PASSWORD_REQUIRED challenge
/// with user B's name sets no password (moto set B's), and B's password still works.
#[tokio::test]
async fn a_new_password_challenge_answers_for_its_own_user_only() {
    let stack = Stack::start().await;
    let pool = &stack.local.resources.staff_user_pool_id;
    let client_id = &stack.local.resources.staff_client_id;
    stack.staff_token("b@informat.be", &["moderators"]).await;
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username("a@informat.be")
        .temporary_password(PASSWORD)
        .message_action(MessageActionType::Suppress)
        .user_attributes(AttributeType::builder().name("email").value("a@informat.be").build().unwrap())
        .send()
        .await
        .unwrap();
    let challenge = cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "a@informat.be")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.challenge_name().map(|c| c.as_str()), Some("NEW_PASSWORD_REQUIRED"));

    let answer = cognito
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(aws_sdk_cognitoidentityprovider::types::ChallengeNameType::NewPasswordRequired)
        .session(challenge.session().unwrap())
        .challenge_responses("USERNAME", "b@informat.be")
        .challenge_responses("NEW_PASSWORD", "Ander!Wachtw00rd")
        .send()
        .await;
    let err = answer.expect_err("the challenge of a answered for b");
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
    assert_eq!(err.code(), Some("NotAuthorizedException"), "{err:?}");

    let b = stack.post("/staff/sessions", json!({"email": "b@informat.be", "password": PASSWORD})).await;
    assert_eq!(b.status, StatusCode::OK, "b's password changed: {}", b.body);
    let b = stack.post("/staff/sessions", json!({"email": "b@informat.be", "password": "Ander!Wachtw00rd"})).await;
    assert_eq!(b.status, StatusCode::UNAUTHORIZED, "{}", b.body);
}
