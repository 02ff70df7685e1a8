//! Applications over HTTP (manual 2.2, 3.3; api.md "Applications" and "Back office:
//! moderators"): requests and their moderation, mails and logs, secrets, linking existing
//! clients, unchecking an API, and that nobody reaches another partner's applications.
#![allow(clippy::unwrap_used)]

use aws_sdk_dynamodb::types::AttributeValue;
use portal::domain::{ClientId, SecretToken};
use portal_e2e::{Answer, PNG, Stack, application_input as app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const INVALID: &str =
    "De ingevoerde client/secret is ongeldig. Heb je geen geldige client/secret, vraag dan een nieuwe aan.";
const TAKEN: &str =
    "Sorry! Deze client is al gekoppeld aan een andere applicatie. Je kan een client maar aan één app koppelen.";

fn subjects(mails: &[Value]) -> Vec<String> {
    mails.iter().map(|m| m["subject"].as_str().unwrap().to_owned()).collect()
}

/// The AWS requests since the last count (or `take`): how many, and how many of them were sent
/// one after the other (issue 16: an operation waits for at most 4 round trips).
#[track_caller]
pub(crate) fn assert_round_trips(stack: &Stack, requests: usize, sequential: usize) {
    let (counted, chain) = stack.local.aws_requests.take_with_chain();
    assert_eq!((counted.values().sum::<usize>(), chain), (requests, sequential), "{counted:?}");
}

async fn logs(stack: &Stack, token: &str, id: &str) -> Vec<(String, String)> {
    let answer = stack.call("GET", &format!("/applications/{id}/logs"), token, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["property"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_request_is_moderated_with_mails_logs_and_the_directory_following() {
    let stack = Stack::start().await;
    let (token, prof) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let slug = prof["slug"].as_str().unwrap();
    assert_eq!(stack.call("PUT", "/profile/logo", &token, None).await.status, StatusCode::BAD_REQUEST);
    let logo = stack.send(stack.http.put(stack.url("/profile/logo")).bearer_auth(&token).body(PNG.to_vec())).await;
    assert_eq!(logo.status, StatusCode::OK);

    // A new request: status new, no client. The partner hears of it; the contact, whom nobody
    // confirmed yet, gets only its confirmation link (issue 21). The account, then the
    // profile, then the write beside the day's two confirmation counters, then both mails.
    stack.local.aws_requests.take();
    let created =
        stack.call("POST", "/applications", &token, Some(app("Lessenplanner", &["leerlingen", "personeel"]))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_round_trips(&stack, 7, 4);
    assert_eq!(created.body["contact_email_confirmed"], false);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["status"], "new");
    assert_eq!(created.body["client_id"], Value::Null);
    assert_eq!(created.body["apis"], json!(["leerlingen", "personeel"]));
    assert_eq!(subjects(&stack.mails_to("tom@ontwikkelaar.be").await), [portal::mail::CONTACT_CONFIRMATION_SUBJECT]);
    assert_eq!(stack.mails_to("partner@voorbeeld.be").await.len(), 3, "activation, the logo change and this one");
    stack.confirm_contact("tom@ontwikkelaar.be").await;
    let confirmed = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert_eq!(confirmed.body["contact_email_confirmed"], true);
    let listed = stack.call("GET", "/applications", &token, None).await;
    assert_eq!(listed.body["items"][0]["id"], id.as_str());

    // Moderation rights: a partner token is refused by the staff authorizer, a staff user
    // outside the group by the function.
    assert_eq!(
        stack.call("GET", "/admin/applications?status=new", &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let clerk = stack.staff_token("baliemedewerker@informat.be", &[]).await;
    for (method, path) in [
        ("GET", "/admin/applications?status=new".to_owned()),
        ("GET", format!("/admin/applications/{id}")),
        ("POST", format!("/admin/applications/{id}/approve")),
        ("POST", format!("/admin/applications/{id}/archive")),
        ("POST", format!("/admin/partners/{}/deactivate", prof["id"].as_str().unwrap())),
    ] {
        let answer = stack.call(method, &path, &clerk, None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.problem_code(), "forbidden");
    }
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let queue = stack.call("GET", "/admin/applications?status=new", &moderator, None).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.body["items"][0]["id"], id.as_str());
    assert_eq!(queue.body["items"][0]["partner"]["name"], "Planner BV");
    let detail = stack.call("GET", &format!("/admin/applications/{id}"), &moderator, None).await;
    assert_eq!(detail.body["partner"]["email"], "partner@voorbeeld.be");

    // Rejected with a reason (mailed); it cannot be approved; an edit sends it back to new.
    // A moderation reads the id index, then the application and its profile together, writes
    // and mails.
    let reason = "De omschrijving zegt niet welke gegevens u gebruikt.";
    stack.local.aws_requests.take();
    let rejected = stack
        .call("POST", &format!("/admin/applications/{id}/reject"), &moderator, Some(json!({"reason": reason})))
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    assert_round_trips(&stack, 4, 4);
    assert_eq!(rejected.body["rejection_reason"], reason);
    let mail = stack.mails_to("tom@ontwikkelaar.be").await.pop().unwrap();
    assert!(mail["subject"].as_str().unwrap().ends_with("werd geweigerd"));
    assert!(mail["text"].as_str().unwrap().contains(reason));
    let refused = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.problem_code(), "invalid_transition");
    let mut edit = app("Lessenplanner", &["leerlingen", "personeel"]);
    edit["description"] = json!("Plant lessen met de namen en klassen van leerlingen.");
    // An edit reads the account and the id index together, then the application, its profile
    // (and client) together, writes and mails.
    stack.local.aws_requests.take();
    let edited = stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit)).await;
    assert_eq!(edited.body["status"], "new", "{}", edited.body);
    assert_round_trips(&stack, 5, 4);
    assert_eq!(stack.get("/partners", None).await.body["items"], json!([]), "not listed before approval");

    // The moderator reviews it again with its history: the earlier rejection with its reason
    // and when, then the edit that sent it back. The id index, the application with its
    // profile, then its log.
    stack.local.aws_requests.take();
    let review = stack.call("GET", &format!("/admin/applications/{id}"), &moderator, None).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_round_trips(&stack, 3, 3);
    let history = review.body["history"].as_array().unwrap();
    let rejection = history.iter().find(|e| e["action"] == "rejected" && e["property"] == "Reden").unwrap();
    assert_eq!((&rejection["to"], &rejection["user"]), (&json!(reason), &json!("Informat")), "{}", review.body);
    assert_eq!(rejection["at"], rejected.body["updated_at"], "when it was rejected");
    let at = |pred: &dyn Fn(&Value) -> bool| history.iter().position(pred).unwrap();
    let resubmitted = at(&|e| e["property"] == "Status" && e["to"] == "Nieuw" && e["action"] == "updated");
    let rejected_at = at(&|e| e["action"] == "rejected");
    assert!(resubmitted < rejected_at, "newest first: {}", review.body);
    assert!(rejected_at < at(&|e| e["action"] == "created" && e["property"] == "Status"), "back to its submission");
    // The partner's logo, though it is not listed yet, through the URL the review carries.
    let logo_url = review.body["partner"]["logo_url"].as_str().unwrap();
    let served = stack.http.get(logo_url).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK, "{logo_url}");

    // Approved: a client id, mails, and the partner is listed.
    stack.local.aws_requests.take();
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_round_trips(&stack, 4, 4);
    assert_eq!(approved.body["status"], "approved");
    let client_id = approved.body["client_id"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("app-"));
    for to in ["tom@ontwikkelaar.be", "partner@voorbeeld.be"] {
        let mail = stack.mails_to(to).await.pop().unwrap();
        assert!(mail["subject"].as_str().unwrap().ends_with("werd goedgekeurd"), "{to}");
        assert!(mail["text"].as_str().unwrap().contains(&client_id));
    }
    assert_eq!(
        stack.get(&format!("/partners/{slug}"), None).await.status,
        StatusCode::OK,
        "an approval lists the partner"
    );
    // The log: the account, then the application and its log together.
    stack.local.aws_requests.take();
    let entries = logs(&stack, &token, &id).await;
    assert_round_trips(&stack, 3, 2);
    assert_eq!(
        entries.iter().map(|(a, p)| format!("{a} {p}")).collect::<Vec<_>>()[..3],
        ["approved Status", "created Client ID", "updated Omschrijving"].map(String::from)
    );

    // Deactivating the partner unlists it; activating lists it again.
    let partner_id = prof["id"].as_str().unwrap();
    // Each reads the profile, then its applications, and writes the profile with its clients'
    // suspension (not read first), then mails.
    stack.local.aws_requests.take();
    let reason = Some(json!({"reason": "Tijdelijk geschorst."}));
    let off = stack.call("POST", &format!("/admin/partners/{partner_id}/deactivate"), &moderator, reason).await;
    assert_eq!(off.body["active"], false, "{}", off.body);
    assert_round_trips(&stack, 4, 4);
    assert_eq!(stack.get(&format!("/partners/{slug}"), None).await.status, StatusCode::NOT_FOUND);
    stack.local.aws_requests.take();
    let on = stack.call("POST", &format!("/admin/partners/{partner_id}/activate"), &moderator, None).await;
    assert_eq!(on.body["active"], true, "{}", on.body);
    assert_round_trips(&stack, 4, 4);
    assert_eq!(stack.get(&format!("/partners/{slug}"), None).await.status, StatusCode::OK);

    // Archived: read-only, unlisted, no secret, and the client is inactive at once.
    stack.local.aws_requests.take();
    let archived = stack.call("POST", &format!("/admin/applications/{id}/archive"), &moderator, None).await;
    assert_eq!(archived.body["status"], "archived");
    assert_round_trips(&stack, 4, 4);
    assert_eq!(stack.get(&format!("/partners/{slug}"), None).await.status, StatusCode::NOT_FOUND);
    let put = stack.call("PUT", &format!("/applications/{id}"), &token, Some(app("Nieuw", &["leerlingen"]))).await;
    assert_eq!(put.status, StatusCode::CONFLICT);
    assert_eq!(put.problem_code(), "application_archived");
    let secret = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    assert_eq!(secret.problem_code(), "application_not_approved");
    let client = stack.local.deps.applications.client(&ClientId::parse(&client_id).unwrap()).await.unwrap().unwrap();
    assert!(!client.active);
    let again = stack.call("POST", &format!("/admin/applications/{id}/archive"), &moderator, None).await;
    assert_eq!(again.problem_code(), "invalid_transition");
}

async fn approved_app(stack: &Stack, token: &str, moderator: &str, name: &str) -> (String, String) {
    let created = stack.call("POST", "/applications", token, Some(app(name, &["leerlingen"]))).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), moderator, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    (id, approved.body["client_id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_secret_is_shown_once_stored_hashed_and_rotated_with_a_grace_period() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("geheim@voorbeeld.be", "Geheim BV").await;
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let new = stack.call("POST", "/applications", &token, Some(app("Nog niet", &["leerlingen"]))).await;
    let early =
        stack.call("POST", &format!("/applications/{}/secret", new.body["id"].as_str().unwrap()), &token, None).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.problem_code(), "application_not_approved");

    // The account and the id index together, then the application, its profile and its client
    // together, the write and the mail.
    let (id, client_id) = approved_app(&stack, &token, &moderator, "Sync").await;
    stack.local.aws_requests.take();
    let first = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_round_trips(&stack, 5, 4);
    assert_eq!(first.body["client_id"], client_id.as_str());
    let first_secret = first.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(first_secret.len(), 43, "256 bits in base64url");
    assert_eq!(first.headers["cache-control"], "no-store");

    // Never readable again: not in the application, its logs, the mails or the table.
    let read = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert!(read.body["secret_created_at"].is_string());
    let everything = format!(
        "{}{}{}",
        read.body,
        stack.call("GET", &format!("/applications/{id}/logs"), &token, None).await.body,
        stack.get("/_local/mails", None).await.body
    );
    assert!(!everything.contains(&first_secret));
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let item = aws_sdk_dynamodb::Client::new(&sdk)
        .get_item()
        .table_name(&stack.local.resources.table)
        .key("PK", AttributeValue::S(format!("CLIENT#{client_id}")))
        .key("SK", AttributeValue::S("CLIENT".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!format!("{item:?}").contains(&first_secret), "only a digest is stored");

    // Rotation: the new secret works; the old one for its grace period only.
    let store = &stack.local.deps.applications;
    let client_id = ClientId::parse(&client_id).unwrap();
    let second = stack
        .call(
            "POST",
            &format!("/applications/{id}/secret"),
            &token,
            Some(json!({"previous_secret_valid_for_seconds": 600})),
        )
        .await;
    let second_secret = second.body["client_secret"].as_str().unwrap().to_owned();
    let now = stack.local.deps.clock.now();
    let client = store.client(&client_id).await.unwrap().unwrap();
    assert!(client.secret_matches(&second_secret, now));
    assert!(client.secret_matches(&first_secret, now), "within the grace period");
    assert!(!client.secret_matches(&first_secret, now + chrono::Duration::seconds(601)));
    let third = stack.call("POST", &format!("/applications/{id}/secret"), &token, Some(json!({}))).await;
    let client = store.client(&client_id).await.unwrap().unwrap();
    assert!(client.secret_matches(third.body["client_secret"].as_str().unwrap(), now));
    assert!(!client.secret_matches(&second_secret, now), "no grace asked: replaced at once");
    let too_long = stack
        .call(
            "POST",
            &format!("/applications/{id}/secret"),
            &token,
            Some(json!({"previous_secret_valid_for_seconds": 86401})),
        )
        .await;
    assert_eq!(too_long.problem_code(), "validation_failed");
}

async fn verify(stack: &Stack, token: &str, client_id: &str, secret: &str) -> Answer {
    stack
        .call(
            "POST",
            "/client-credentials/verify",
            token,
            Some(json!({"client_id": client_id, "client_secret": secret})),
        )
        .await
}

#[tokio::test]
async fn an_existing_client_is_verified_and_linked_to_exactly_one_application() {
    let stack = Stack::start().await;
    stack.legacy_client(json!({"client_id": "informat_customer_school", "client_secret": "Oud-Secret-1", "scopes": ["leerlingen:012345", "rekeningen:012345", "leerlingen:54321"]})).await;
    stack.legacy_client(json!({"client_id": "met_oude_groep", "client_secret": "Oud-Secret-2", "scopes": ["rekeningen:012345"], "inactive_scopes": ["rekeningen:012345:groep-2019"]})).await;
    let (a, _) = stack.partner("a@voorbeeld.be", "Partner A").await;
    let (b, _) = stack.partner("b@voorbeeld.be", "Partner B").await;

    // Wrong secret, unknown client: the manual's message, word for word.
    for (id, secret) in [("informat_customer_school", "fout"), ("bestaat_niet", "Oud-Secret-1"), ("spatie erin", "x")] {
        let answer = verify(&stack, &a, id, secret).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(answer.problem_code(), "invalid_client_credentials");
        assert_eq!(answer.body["detail"], INVALID);
    }
    // A client with scopes for inactive access groups says so.
    let blocked = verify(&stack, &a, "met_oude_groep", "Oud-Secret-2").await;
    assert_eq!(blocked.problem_code(), "invalid_client_credentials");
    let detail = blocked.body["detail"].as_str().unwrap();
    assert!(detail.starts_with(INVALID) && detail.contains("Rekeningen") && detail.contains("groep-2019"), "{detail}");
    // The right secret: its APIs come from its scopes.
    let ok = verify(&stack, &a, "informat_customer_school", "Oud-Secret-1").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body, json!({"client_id": "informat_customer_school", "apis": ["leerlingen", "rekeningen"]}));

    // Both partners link it at the same moment: exactly one wins.
    let mut body = app("Bestaande koppeling", &[]);
    body.as_object_mut().unwrap().remove("apis");
    body["link"] = json!({"client_id": "informat_customer_school", "client_secret": "Oud-Secret-1"});
    let (ra, rb) = tokio::join!(
        stack.call("POST", "/applications", &a, Some(body.clone())),
        stack.call("POST", "/applications", &b, Some(body.clone()))
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} / {}", ra.body, rb.body);
    let (winner, loser, loser_token) = if ra.status == StatusCode::CREATED { (&ra, &rb, &b) } else { (&rb, &ra, &a) };
    assert_eq!(loser.problem_code(), "client_already_linked");
    assert_eq!(loser.body["detail"], TAKEN);
    assert_eq!(winner.body["status"], "approved");
    assert_eq!(winner.body["client_id"], "informat_customer_school");
    assert_eq!(winner.body["apis"], json!(["leerlingen", "rekeningen"]), "the scopes decide the APIs");
    assert_eq!(
        stack.call("GET", "/applications", loser_token, None).await.body["items"],
        json!([]),
        "nothing half-made"
    );
    // Linked once, the client answers "already linked" to everyone, the old secret still works,
    // and the scopes are kept.
    let again = verify(&stack, loser_token, "informat_customer_school", "Oud-Secret-1").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["detail"], TAKEN);
    let client = stack
        .local
        .deps
        .applications
        .client(&ClientId::parse("informat_customer_school").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(client.active && client.scopes.len() == 3);
    assert!(client.secret_matches("Oud-Secret-1", stack.local.deps.clock.now()));
}

#[tokio::test]
async fn unchecking_an_api_removes_its_scopes_and_verification_is_throttled() {
    let stack = Stack::start().await;
    stack.legacy_client(json!({"client_id": "twee_apis", "client_secret": "Oud-Secret-3", "scopes": ["leerlingen:012345", "personeel:012345", "personeel:98765"]})).await;
    let (token, _) = stack.partner("c@voorbeeld.be", "Partner C").await;
    let mut body = app("Twee API's", &["leerlingen", "personeel"]);
    body["link"] = json!({"client_id": "twee_apis", "client_secret": "Oud-Secret-3"});
    let created = stack.call("POST", "/applications", &token, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    stack.confirm_contact("tom@ontwikkelaar.be").await;

    let edited =
        stack.call("PUT", &format!("/applications/{id}"), &token, Some(app("Twee API's", &["leerlingen"]))).await;
    assert_eq!(edited.body["apis"], json!(["leerlingen"]), "{}", edited.body);
    let client = stack.local.deps.applications.client(&ClientId::parse("twee_apis").unwrap()).await.unwrap().unwrap();
    assert_eq!(client.scopes.iter().map(ToString::to_string).collect::<Vec<_>>(), ["leerlingen:012345"]);
    let log = logs(&stack, &token, &id).await;
    assert!(log.contains(&("removed".into(), "API toegang - Personeel".into())), "{log:?}");
    assert_eq!(log.iter().filter(|(a, p)| a == "revoked" && p == "Scope").count(), 2, "{log:?}");
    let mail = stack.mails_to("tom@ontwikkelaar.be").await.pop().unwrap();
    assert!(mail["text"].as_str().unwrap().contains("personeel:98765"), "{}", mail["text"]);

    // Stale versions are refused.
    let mut stale = app("Twee API's", &["leerlingen"]);
    stale["version"] = json!(1);
    assert_eq!(
        stack.call("PUT", &format!("/applications/{id}"), &token, Some(stale)).await.problem_code(),
        "version_conflict"
    );

    // Guessing a client's secret: five failures, then 429 even for the right secret.
    stack.legacy_client(json!({"client_id": "doelwit", "client_secret": "Juist-Secret", "scopes": []})).await;
    for _ in 0..5 {
        assert_eq!(verify(&stack, &token, "doelwit", "gok").await.status, StatusCode::BAD_REQUEST);
    }
    let throttled = verify(&stack, &token, "doelwit", "Juist-Secret").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn another_partner_gets_404_on_every_application_route() {
    let stack = Stack::start().await;
    let (owner, _) = stack.partner("eigenaar@voorbeeld.be", "Eigenaar").await;
    let (other, _) = stack.partner("ander@voorbeeld.be", "Ander").await;
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let (id, _) = approved_app(&stack, &owner, &moderator, "Van de eigenaar").await;
    for (method, path, body) in [
        ("GET", format!("/applications/{id}"), None),
        ("PUT", format!("/applications/{id}"), Some(app("Overgenomen", &["leerlingen"]))),
        ("POST", format!("/applications/{id}/secret"), None),
        ("PUT", format!("/applications/{id}/jwks"), Some(json!({"keys": []}))),
        ("GET", format!("/applications/{id}/logs"), None),
        ("GET", "/applications/niet-eens-een-id".to_owned(), None),
    ] {
        let answer = stack.call(method, &path, &other, body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {}", answer.body);
        assert_eq!(answer.problem_code(), "not_found");
    }
    assert_eq!(stack.call("GET", "/applications", &other, None).await.body["items"], json!([]));
    // And the owner's application is as it was.
    let own = stack.call("GET", &format!("/applications/{id}"), &owner, None).await;
    assert_eq!((own.body["name"].as_str(), own.body["version"].as_u64()), (Some("Van de eigenaar"), Some(2)));
}

#[tokio::test]
async fn a_linked_client_brings_its_apis_and_other_apis_are_refused() {
    let stack = Stack::start().await;
    stack.legacy_client(json!({"client_id": "met_scopes", "client_secret": "Oud-Secret-4", "scopes": ["leerlingen:012345", "personeel:54321"]})).await;
    stack.legacy_client(json!({"client_id": "zonder_scopes", "client_secret": "Oud-Secret-5", "scopes": []})).await;
    let (token, _) = stack.partner("d@voorbeeld.be", "Partner D").await;
    let link = |apis: Option<&[&str]>, client_id: &str, secret: &str| {
        let mut body = app("Gekoppelde app", apis.unwrap_or_default());
        if apis.is_none() {
            body.as_object_mut().unwrap().remove("apis");
        }
        body["link"] = json!({"client_id": client_id, "client_secret": secret});
        body
    };

    // Other APIs than the client's scopes hold: 400 on `apis`, in Dutch, and nothing is linked.
    for apis in [&["leerlingen"][..], &["leerlingen", "personeel", "internen"], &["rekeningen"]] {
        let refused =
            stack.call("POST", "/applications", &token, Some(link(Some(apis), "met_scopes", "Oud-Secret-4"))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{apis:?}: {}", refused.body);
        assert_eq!(refused.problem_code(), "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "apis", "{}", refused.body);
        let message = refused.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("scopes van de client") && message.contains("Leerlingen, Personeel"), "{message}");
    }
    assert_eq!(stack.call("GET", "/applications", &token, None).await.body["items"], json!([]));

    // Left out: they come from the scopes. The account, then the profile, the client id's
    // failures and the client together, the write beside the day's confirmation counters, the
    // mail and the contact's confirmation link.
    stack.local.aws_requests.take();
    let created = stack.call("POST", "/applications", &token, Some(link(None, "met_scopes", "Oud-Secret-4"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_round_trips(&stack, 9, 4);
    assert_eq!(created.body["apis"], json!(["leerlingen", "personeel"]));
    assert_eq!(created.body["status"], "approved");

    // Exactly the client's APIs are fine too (another client, so it is not linked yet).
    stack
        .legacy_client(json!({"client_id": "nog_een", "client_secret": "Oud-Secret-6", "scopes": ["internen:012345"]}))
        .await;
    let same =
        stack.call("POST", "/applications", &token, Some(link(Some(&["internen"]), "nog_een", "Oud-Secret-6"))).await;
    assert_eq!(same.status, StatusCode::CREATED, "{}", same.body);
    assert_eq!(same.body["apis"], json!(["internen"]));

    // A client without scopes has no APIs to bring: then the partner checks them.
    let none = stack.call("POST", "/applications", &token, Some(link(None, "zonder_scopes", "Oud-Secret-5"))).await;
    assert_eq!(none.problem_code(), "validation_failed", "{}", none.body);
    assert_eq!(none.body["errors"][0]["field"], "apis");
    let checked = stack
        .call("POST", "/applications", &token, Some(link(Some(&["rekeningen"]), "zonder_scopes", "Oud-Secret-5")))
        .await;
    assert_eq!(checked.status, StatusCode::CREATED, "{}", checked.body);
    assert_eq!(checked.body["apis"], json!(["rekeningen"]));

    // Without `link`, `apis` stays required.
    let mut plain = app("Nieuwe app", &[]);
    plain.as_object_mut().unwrap().remove("apis");
    let missing = stack.call("POST", "/applications", &token, Some(plain)).await;
    assert_eq!(missing.problem_code(), "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "apis");
}

/// Issue 21: an application's contact email, which nobody verified, gets no mail but its
/// confirmation until its owner confirms it; a confirmed contact hears of every change.
#[tokio::test]
async fn an_unconfirmed_contact_gets_only_its_confirmation_link_until_it_confirms() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let contact = "tom@ontwikkelaar.be";
    let created = stack.call("POST", "/applications", &token, Some(app("Lessenplanner", &["leerlingen"]))).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["contact_email_confirmed"], false);
    let mails = stack.mails_to(contact).await;
    assert_eq!(subjects(&mails), [portal::mail::CONTACT_CONFIRMATION_SUBJECT]);
    let text = mails[0]["text"].as_str().unwrap();
    assert!(
        text.contains("> Partner: Planner BV") && text.contains("> Opgegeven door: partner [at] voorbeeld[.]be"),
        "{text}"
    );
    let log = logs(&stack, &token, &id).await;
    assert!(log.contains(&("sent".into(), "Bevestiging e-mailadres".into())), "{log:?}");

    // Unconfirmed, it hears of nothing: not of an approval, not of an edit.
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(stack.mails_to(contact).await.len(), 1, "only the confirmation");
    assert!(
        stack.mails_to("partner@voorbeeld.be").await.pop().unwrap()["subject"]
            .as_str()
            .unwrap()
            .ends_with("werd goedgekeurd")
    );

    // A link that does not work: all alike, and nothing changes.
    let (app_id, link_token) = stack.contact_link(contact).await;
    assert_eq!(app_id, id);
    let other = SecretToken::generate().unwrap();
    for (application, token) in [
        (id.as_str(), other.expose()),
        ("3f2504e0-4f89-41d3-9a0c-0305e82c3301", link_token.as_str()),
        ("geen-id", link_token.as_str()),
        (id.as_str(), "te-kort"),
    ] {
        let answer = stack.post("/contact-confirmations", json!({"application_id": application, "token": token})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(answer.problem_code(), "invalid_token");
    }
    let unchanged = stack.call("GET", &format!("/applications/{id}"), &token, None).await;
    assert_eq!(unchanged.body["contact_email_confirmed"], false);

    // The link confirms once; from then on the contact hears of changes.
    let confirmed = stack.post("/contact-confirmations", json!({"application_id": id, "token": link_token})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body, json!({"status": "confirmed", "application": "Lessenplanner"}));
    let again = stack.post("/contact-confirmations", json!({"application_id": id, "token": link_token})).await;
    assert_eq!(again.problem_code(), "invalid_token", "a link works once");
    let log = stack.call("GET", &format!("/applications/{id}/logs"), &token, None).await.body;
    let entry = &log["items"][0];
    assert_eq!(
        (&entry["property"], &entry["user"], &entry["to"]),
        (&json!("Bevestiging e-mailadres"), &json!(contact), &json!("bevestigd"))
    );
    let mut edit = app("Lessenplanner", &["leerlingen"]);
    edit["description"] = json!("Plant lessen met de klassenlijsten.");
    assert_eq!(
        stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit.clone())).await.status,
        StatusCode::OK
    );
    assert!(stack.mails_to(contact).await.pop().unwrap()["subject"].as_str().unwrap().ends_with("gewijzigd"));
    let resend = stack.call("POST", &format!("/applications/{id}/contact-confirmation"), &token, None).await;
    assert_eq!(resend.problem_code(), "contact_already_confirmed");

    // A new address starts over: it gets only its link;
    // the partner's own account address counts as confirmed at once.
    edit["contact_email"] = json!("nieuw@ontwikkelaar.be");
    let changed = stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit.clone())).await;
    assert_eq!(changed.body["contact_email_confirmed"], false, "{}", changed.body);
    assert_eq!(subjects(&stack.mails_to("nieuw@ontwikkelaar.be").await), [portal::mail::CONTACT_CONFIRMATION_SUBJECT]);
    let (_, first_link) = stack.contact_link("nieuw@ontwikkelaar.be").await;
    // Sent again, the new link replaces the first; at most 3 a day to one address: then 429,
    // and the link sent last keeps working.
    let resent = stack.call("POST", &format!("/applications/{id}/contact-confirmation"), &token, None).await;
    assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.body);
    assert_eq!(resent.body, json!({"status": "confirmation_sent", "contact_email": "nieuw@ontwikkelaar.be"}));
    let refused = stack.post("/contact-confirmations", json!({"application_id": id, "token": first_link})).await;
    assert_eq!(refused.problem_code(), "invalid_token", "a replaced link no longer works");
    assert_eq!(
        stack.call("POST", &format!("/applications/{id}/contact-confirmation"), &token, None).await.status,
        StatusCode::ACCEPTED
    );
    let (_, last_link) = stack.contact_link("nieuw@ontwikkelaar.be").await;
    let capped = stack.call("POST", &format!("/applications/{id}/contact-confirmation"), &token, None).await;
    assert_eq!(capped.status, StatusCode::TOO_MANY_REQUESTS, "{}", capped.body);
    assert_eq!(capped.problem_code(), "too_many_confirmation_mails");
    assert!(capped.headers.contains_key("retry-after"));
    assert_eq!(capped.body["errors"][0]["field"], "contact_email");
    assert_eq!(stack.mails_to("nieuw@ontwikkelaar.be").await.len(), 3);
    let confirmed = stack.post("/contact-confirmations", json!({"application_id": id, "token": last_link})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    edit["contact_email"] = json!("partner@voorbeeld.be");
    let own = stack.call("PUT", &format!("/applications/{id}"), &token, Some(edit)).await;
    assert_eq!(own.body["contact_email_confirmed"], true, "{}", own.body);

    // Another partner's application: 404, and its link cannot be asked for.
    let (stranger, _) = stack.partner("ander@voorbeeld.be", "Ander BV").await;
    let theirs = stack.call("POST", &format!("/applications/{id}/contact-confirmation"), &stranger, None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

/// Issue 21: a partner cannot flood addresses through new applications: at most 10
/// confirmation mails a day for all its applications together; the rest is logged, not sent.
#[tokio::test]
async fn confirmation_mails_are_limited_per_partner_per_day() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let mut last = String::new();
    for n in 0..11 {
        let mut body = app(&format!("App {n}"), &["leerlingen"]);
        body["contact_email"] = json!(format!("slachtoffer{n}@elders.be"));
        let created = stack.call("POST", "/applications", &token, Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        last = created.body["id"].as_str().unwrap().to_owned();
    }
    for n in 0..10 {
        assert_eq!(stack.mails_to(&format!("slachtoffer{n}@elders.be")).await.len(), 1, "{n}");
    }
    assert!(stack.mails_to("slachtoffer10@elders.be").await.is_empty());
    let log = stack.call("GET", &format!("/applications/{last}/logs"), &token, None).await.body;
    let capped = log["items"].as_array().unwrap().iter().find(|e| e["user"] == "systeem").unwrap();
    assert!(capped["to"].as_str().unwrap().contains("maximum bevestigingsmails voor vandaag"), "{capped}");
    let resend = stack.call("POST", &format!("/applications/{last}/contact-confirmation"), &token, None).await;
    assert_eq!(resend.problem_code(), "too_many_confirmation_mails");
    // The next UTC day there is room again.
    let now = portal::ports::Clock::now(stack.local.clock.as_ref());
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 1).unwrap().and_utc();
    stack.advance_clock((midnight - now).num_seconds()).await;
    let resend = stack.call("POST", &format!("/applications/{last}/contact-confirmation"), &token, None).await;
    assert_eq!(resend.status, StatusCode::ACCEPTED, "{}", resend.body);
    assert_eq!(stack.mails_to("slachtoffer10@elders.be").await.len(), 1);
}
