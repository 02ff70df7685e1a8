//! "Wachtwoord vergeten?" of the back office (issue 22 item 1): POST /staff/forgot-password and
//! POST /staff/reset-password. Moderators of the staff pool keep an address and a password and
//! can choose a new one; nobody else of that pool gets a mail.
#![allow(clippy::unwrap_used)]
use portal_e2e::{PASSWORD, Stack};
use reqwest::StatusCode;
use serde_json::json;

const MODERATOR: &str = "moderator@informat.be";
const NEW_PASSWORD: &str = "Nieuw!Wachtw00rd-beheer";

async fn forgot(stack: &Stack, email: &str) {
    let answer = stack.post("/staff/forgot-password", json!({"email": email})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(answer.body, json!({"status": "accepted"}));
}

async fn staff_sign_in(stack: &Stack, email: &str, password: &str) -> portal_e2e::Answer {
    stack.post("/staff/sessions", json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn a_moderator_resets_signs_in_with_the_new_password_and_the_link_works_once() {
    let stack = Stack::start().await;
    stack.staff_token(MODERATOR, &["moderators"]).await;
    let before = staff_sign_in(&stack, MODERATOR, PASSWORD).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let old_refresh = before.body["refresh_token"].as_str().unwrap().to_owned();

    forgot(&stack, MODERATOR).await;
    let mails = stack.mails_to(MODERATOR).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Informat \u{2013} Kies een nieuw wachtwoord");
    let token = stack.backoffice_link_token(MODERATOR, "wachtwoord-herstellen").await;

    let reset = stack.post("/staff/reset-password", json!({"token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);

    let new = staff_sign_in(&stack, MODERATOR, NEW_PASSWORD).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    let old = staff_sign_in(&stack, MODERATOR, PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
    assert_eq!(old.problem_code(), "invalid_credentials");

    // The reset ended the sessions: the refresh token from before it gives no new tokens.
    let refreshed = stack.post("/staff/sessions/refresh", json!({"refresh_token": old_refresh})).await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED, "{}", refreshed.body);
    assert_eq!(refreshed.problem_code(), "invalid_credentials");

    // The link works once.
    let again = stack.post("/staff/reset-password", json!({"token": token, "password": "Nog!Eens-anders9"})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(again.problem_code(), "invalid_token");
    assert_eq!(staff_sign_in(&stack, MODERATOR, NEW_PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_a_moderator_gets_a_mail_and_every_address_the_same_answer() {
    let stack = Stack::start().await;
    stack.staff_token(MODERATOR, &["moderators"]).await;
    stack.admin_token("directie@school.be", "leerlingen:012345").await;
    stack.activated_account("partner@voorbeeld.be").await;
    let partner_mails = stack.mails_to("partner@voorbeeld.be").await.len();

    // The same answer, no sooner than the fixed 400 ms, whether a mail leaves or not.
    for email in [MODERATOR, "niemand@informat.be", "directie@school.be", "partner@voorbeeld.be"] {
        let started = std::time::Instant::now();
        forgot(&stack, email).await;
        assert!(started.elapsed() >= std::time::Duration::from_millis(400), "{email}: {:?}", started.elapsed());
    }
    assert_eq!(stack.mails_to(MODERATOR).await.len(), 1);
    assert!(stack.mails_to("niemand@informat.be").await.is_empty(), "an unknown address gets no mail");
    assert!(stack.mails_to("directie@school.be").await.is_empty(), "a school administrator gets no mail");
    assert_eq!(stack.mails_to("partner@voorbeeld.be").await.len(), partner_mails, "a partner is no staff user");

    // Bad input is a Dutch field error, as on the partner route.
    let bad = stack.post("/staff/forgot-password", json!({"email": "geen-adres"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "email");
    assert!(bad.body["errors"][0]["message"].as_str().unwrap().contains("e-mailadres"), "{}", bad.body);
}

#[tokio::test]
async fn a_weak_password_keeps_the_link_and_only_the_newest_link_works() {
    let stack = Stack::start().await;
    stack.staff_token(MODERATOR, &["moderators"]).await;
    forgot(&stack, MODERATOR).await;
    let first = stack.backoffice_link_token(MODERATOR, "wachtwoord-herstellen").await;
    forgot(&stack, MODERATOR).await;
    let newest = stack.backoffice_link_token(MODERATOR, "wachtwoord-herstellen").await;
    assert_ne!(first, newest);

    let older = stack.post("/staff/reset-password", json!({"token": first, "password": NEW_PASSWORD})).await;
    assert_eq!(older.problem_code(), "invalid_token", "{}", older.body);

    for weak in ["kort", "wachtwoord1", "Moderator@informat.be1"] {
        let refused = stack.post("/staff/reset-password", json!({"token": newest, "password": weak})).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{weak}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "password", "{weak}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["code"], "weak_password", "{weak}: {}", refused.body);
    }
    let reset = stack.post("/staff/reset-password", json!({"token": newest, "password": NEW_PASSWORD})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "the link survived the weak tries: {}", reset.body);
    assert_eq!(staff_sign_in(&stack, MODERATOR, NEW_PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_partner_reset_link_is_no_back_office_link_and_the_reverse() {
    let stack = Stack::start().await;
    stack.staff_token(MODERATOR, &["moderators"]).await;
    stack.activated_account("partner@voorbeeld.be").await;
    let answer = stack.post("/accounts/forgot-password", json!({"email": "partner@voorbeeld.be"})).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let partner = stack.link_token("partner@voorbeeld.be", "wachtwoord-herstellen").await;
    forgot(&stack, MODERATOR).await;
    let staff = stack.backoffice_link_token(MODERATOR, "wachtwoord-herstellen").await;

    let crossed = stack.post("/staff/reset-password", json!({"token": partner, "password": NEW_PASSWORD})).await;
    assert_eq!(crossed.problem_code(), "invalid_token", "{}", crossed.body);
    let crossed = stack.post("/accounts/reset-password", json!({"token": staff, "password": NEW_PASSWORD})).await;
    assert_eq!(crossed.problem_code(), "invalid_token", "{}", crossed.body);
    // Neither try used the other's link up.
    let reset = stack.post("/staff/reset-password", json!({"token": staff, "password": NEW_PASSWORD})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
}
