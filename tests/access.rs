//! Access to schools' data over HTTP (manual 2.1 step 3, 3.4; api.md "Back office: school
//! administrators" and the access-request rows): requests by mail with their links in the logs,
//! grants within an administrator's rights, changes at a school, the monthly expiry, and the
//! token's scopes following every change.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use portal::domain::{AccessRequest, AccessRequestId, AccessRequestStatus, Email, MailBudget, SecretToken};
use portal::ports::RequestsStored;
use portal_e2e::{BACKOFFICE_URL, Stack, application_input};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SCHOOL: &str = "012345";
const OTHER_SCHOOL: &str = "54321";
const ADMIN: &str = "directie@school.be";

struct Approved {
    token: String,
    id: String,
    client_id: String,
    secret: String,
}

/// A partner with an approved application (leerlingen and personeel checked) and a secret.
async fn approved(stack: &Stack) -> Approved {
    let (token, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let created = stack
        .call("POST", "/applications", &token, Some(application_input("Lessenplanner", &["leerlingen", "personeel"])))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    // The contact confirms its address, so it hears of the application from now on.
    stack.confirm_contact("tom@ontwikkelaar.be").await;
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
    let client_id = approved.body["client_id"].as_str().unwrap().to_owned();
    let secret = stack.call("POST", &format!("/applications/{id}/secret"), &token, None).await;
    let secret = secret.body["client_secret"].as_str().unwrap().to_owned();
    Approved { token, id, client_id, secret }
}

/// The scope of a fresh token, or the OAuth2 error.
async fn token_scope(stack: &Stack, app: &Approved) -> Result<String, String> {
    let request = stack
        .http
        .post(stack.url("/oauth2/token"))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(&[("grant_type", "client_credentials")]);
    let answer = stack.send(request).await;
    match answer.status {
        StatusCode::OK => Ok(answer.body["scope"].as_str().unwrap().to_owned()),
        _ => Err(answer.body["error"].as_str().unwrap().to_owned()),
    }
}

async fn send_requests(stack: &Stack, app: &Approved, emails: Value) -> portal_e2e::Answer {
    stack
        .call("POST", &format!("/applications/{}/access-requests", app.id), &app.token, Some(json!({"emails": emails})))
        .await
}

#[tokio::test]
async fn a_request_mails_each_address_its_own_link_and_logs_it() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;

    // Bad input changes nothing: the wrong address is named.
    let bad = send_requests(&stack, &app, json!("directie@school.be; geen-adres")).await;
    assert_eq!(bad.problem_code(), "validation_failed");
    assert!(bad.body["errors"][0]["message"].as_str().unwrap().contains("geen-adres"), "{}", bad.body);
    let many: Vec<String> = (0..21).map(|i| format!("b{i}@school.be")).collect();
    assert_eq!(send_requests(&stack, &app, json!(many.join(";"))).await.problem_code(), "validation_failed");
    assert!(stack.mails_to(ADMIN).await.is_empty());

    stack.local.aws_requests.take();
    let sent = send_requests(&stack, &app, json!("directie@school.be; ICT@school.be")).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    // The account; then the application and the profile together; the transaction; the two
    // mails together: four round trips one after the other.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [("DynamoDB.GetItem", 3), ("DynamoDB.TransactWriteItems", 1), ("SESv2.SendEmail", 2)];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what the requests send");
    assert_eq!(chain, 4, "{requests:?}");
    let items = sent.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, to) in items.iter().zip([ADMIN, "ict@school.be"]) {
        assert_eq!((item["email"].as_str(), item["status"].as_str()), (Some(to), Some("pending")));
        let mails = stack.mails_to(to).await;
        assert_eq!(mails.len(), 1, "one mail for {to}");
        assert_eq!(mails[0]["from"], "noreply@informatsoftware.be");
        assert_eq!(mails[0]["subject"], "Informat Partnerportaal - Datatoegang voor applicatie Lessenplanner");
        let link = item["link"].as_str().unwrap();
        assert!(link.starts_with(&format!("{BACKOFFICE_URL}/toegang/")));
        assert!(
            mails[0]["text"].as_str().unwrap().contains(link)
                && mails[0]["html"].as_str().unwrap().contains("Planner BV")
        );
    }
    assert_ne!(items[0]["link"], items[1]["link"], "each address its own link");
    // The logs hold each address with its link, so the partner can forward it by hand.
    let logs = stack.call("GET", &format!("/applications/{}/logs", app.id), &app.token, None).await;
    let requests: Vec<&Value> = logs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["property"] == "Toegangsaanvraag bij schoolbeheerder")
        .collect();
    assert_eq!(requests.len(), 2);
    for item in items {
        let expected = format!("{}: {}", item["email"].as_str().unwrap(), item["link"].as_str().unwrap());
        assert!(requests.iter().any(|e| e["to"] == expected.as_str()), "{expected} in {requests:?}");
    }
    let listed = stack.call("GET", &format!("/applications/{}/access-requests", app.id), &app.token, None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    assert!(listed.body["items"][0].get("link").is_none(), "the link is not readable again from the list");

    // Only for an approved application, and only its own partner's.
    let new =
        stack.call("POST", "/applications", &app.token, Some(application_input("Nog nieuw", &["leerlingen"]))).await;
    let new_id = new.body["id"].as_str().unwrap();
    let refused = stack
        .call("POST", &format!("/applications/{new_id}/access-requests"), &app.token, Some(json!({"emails": ADMIN})))
        .await;
    assert_eq!(refused.problem_code(), "application_not_approved");
    let (stranger, _) = stack.partner("ander@voorbeeld.be", "Ander BV").await;
    for (method, path) in [
        ("POST", format!("/applications/{}/access-requests", app.id)),
        ("GET", format!("/applications/{}/access-requests", app.id)),
        ("GET", format!("/applications/{}/access", app.id)),
    ] {
        let answer = stack.call(method, &path, &stranger, Some(json!({"emails": ADMIN}))).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
}

#[tokio::test]
async fn administrators_grant_within_their_rights_and_tokens_follow_every_change() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    assert_eq!(token_scope(&stack, &app).await, Err("invalid_scope".into()), "nothing granted yet");
    send_requests(&stack, &app, json!(ADMIN)).await;
    let link = stack.access_link(ADMIN).await;
    let admin = stack.admin_token(ADMIN, "leerlingen:012345 rekeningen:012345 leerlingen:54321").await;

    // Opening the link: the application and its partner, with the contact's address.
    let opened = stack.call("GET", &format!("/access-requests/{link}"), &admin, None).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert_eq!(opened.body["application"]["name"], "Lessenplanner");
    assert_eq!(opened.body["application"]["apis"], json!(["leerlingen", "personeel"]));
    assert_eq!(opened.body["partner"]["name"], "Planner BV");
    assert_eq!(opened.body["partner"]["contact_email"], "tom@ontwikkelaar.be");
    assert_eq!(opened.body["status"], "pending");
    assert!(opened.body["partner"].get("enterprise_number").is_none());

    // Outside the rights: another API, an API the application did not check, another school's data.
    let grant = |school: &str, apis: Value| json!({"institution": school, "apis": apis});
    let path = format!("/access-requests/{link}/grant");
    let no_right = stack.call("POST", &path, &admin, Some(grant(SCHOOL, json!(["personeel"])))).await;
    assert_eq!((no_right.status, no_right.problem_code()), (StatusCode::FORBIDDEN, "not_school_admin"));
    let unchecked = stack.call("POST", &path, &admin, Some(grant(SCHOOL, json!(["rekeningen"])))).await;
    assert_eq!(unchecked.problem_code(), "validation_failed", "{}", unchecked.body);
    let other_school = stack.call("POST", &path, &admin, Some(grant("99999", json!(["leerlingen"])))).await;
    assert_eq!(other_school.problem_code(), "not_school_admin");
    // Someone else with the link but without rights at this school, or with a partner token,
    // gets nothing.
    let stranger = stack.admin_token("beheer@andereschool.be", "leerlingen:77777").await;
    let refused = stack.call("POST", &path, &stranger, Some(grant(SCHOOL, json!(["leerlingen"])))).await;
    assert_eq!((refused.status, refused.problem_code()), (StatusCode::FORBIDDEN, "not_school_admin"));
    assert_eq!(
        stack.call("POST", &path, &app.token, Some(grant(SCHOOL, json!(["leerlingen"])))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stack.call("GET", "/access-requests/onbekend", &admin, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(token_scope(&stack, &app).await, Err("invalid_scope".into()), "refusals granted nothing");

    // Within the rights, at two schools through the same link: the partner and the contact hear of it.
    let before = stack.mails_to("tom@ontwikkelaar.be").await.len();
    let partner_before = stack.mails_to("partner@voorbeeld.be").await.len();
    stack.local.aws_requests.take();
    let granted = stack.call("POST", &path, &admin, Some(grant(SCHOOL, json!(["leerlingen"])))).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    assert_eq!(granted.body, json!({"granted": ["leerlingen:012345"]}));
    // The request; then the application, the profile (read once, also for the mail) and the
    // client (the request names it) with its entry at the school (one snapshot), together; one
    // transaction; one mail: four round trips one after the other.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let sent: Vec<(String, usize)> = requests.clone().into_iter().collect();
    let expected = [
        ("DynamoDB.GetItem", 3),
        ("DynamoDB.TransactGetItems", 1),
        ("DynamoDB.TransactWriteItems", 1),
        ("SESv2.SendEmail", 1),
    ];
    assert_eq!(sent, expected.map(|(operation, n)| (operation.to_owned(), n)), "what one grant sends");
    assert_eq!(chain, 4, "{requests:?}");
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345".into()));
    let second = stack.call("POST", &path, &admin, Some(grant(OTHER_SCHOOL, json!(["leerlingen"])))).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345 leerlingen:54321".into()));
    let mails = stack.mails_to("tom@ontwikkelaar.be").await;
    assert_eq!(mails.len(), before + 2, "a mail per grant");
    assert!(mails.last().unwrap()["text"].as_str().unwrap().contains("leerlingen:54321"));
    assert_eq!(stack.mails_to("partner@voorbeeld.be").await.len(), partner_before + 2, "the partner's email too");
    let access = stack.call("GET", &format!("/applications/{}/access", app.id), &app.token, None).await;
    assert_eq!(access.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(access.body["items"][0]["granted_by"], ADMIN);
    let requests = stack.call("GET", &format!("/applications/{}/access-requests", app.id), &app.token, None).await;
    assert_eq!(requests.body["items"][0]["institutions"], json!([SCHOOL, OTHER_SCHOOL]));

    // A school's administrator sees and changes its applications; another school's cannot.
    let school_admin = stack.admin_token("ict@school.be", "leerlingen:012345 personeel:012345").await;
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &school_admin, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["application"]["id"].as_str(), items[0]["apis"].clone()),
        (Some(app.id.as_str()), json!(["leerlingen"]))
    );
    assert_eq!(items[0]["partner"]["name"], "Planner BV");
    // The partner as the directory shows it (api.md PublicPartner), never its account's e-mail.
    let partner = items[0]["partner"].as_object().unwrap();
    let fields: BTreeSet<&str> = partner.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        BTreeSet::from(["slug", "name", "description", "categories", "website", "logo_url", "extra_info"]),
        "{partner:?}"
    );
    assert!(!listed.body.to_string().contains("partner@voorbeeld.be"), "{}", listed.body);
    let change = format!("/schools/{SCHOOL}/applications/{}/access", app.id);
    stack.local.aws_requests.take();
    let both = stack.call("PUT", &change, &school_admin, Some(json!({"apis": ["leerlingen", "personeel"]}))).await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.body);
    // The id index (it names the partner and the client); then the application, the client with
    // its entry at the school (one snapshot) and the profile, together; one transaction; one mail.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [
        ("DynamoDB.GetItem", 2),
        ("DynamoDB.Query", 1),
        ("DynamoDB.TransactGetItems", 1),
        ("DynamoDB.TransactWriteItems", 1),
        ("SESv2.SendEmail", 1),
    ];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what a change sends");
    assert_eq!(chain, 4, "{requests:?}");
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345 leerlingen:54321 personeel:012345".into()));
    let outsider = stack.admin_token("beheer@andereschool.be", "leerlingen:77777").await;
    assert_eq!(
        stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &outsider, None).await.problem_code(),
        "not_school_admin"
    );
    assert_eq!(stack.call("PUT", &change, &outsider, Some(json!({"apis": []}))).await.status, StatusCode::FORBIDDEN);
    // Without the right for an API, it cannot be taken away either.
    let narrow = stack.admin_token("leerlingen@school.be", "leerlingen:012345").await;
    assert_eq!(stack.call("PUT", &change, &narrow, Some(json!({"apis": []}))).await.problem_code(), "not_school_admin");
    // No new application without an invitation: 404 where it has no access.
    let other = stack.admin_token("beheer@school77777.be", "leerlingen:77777").await;
    let uninvited = format!("/schools/77777/applications/{}/access", app.id);
    assert_eq!(
        stack.call("PUT", &uninvited, &other, Some(json!({"apis": ["leerlingen"]}))).await.status,
        StatusCode::NOT_FOUND
    );

    // Revoking at this school removes its scopes from the next token; the other school's stay.
    let revoked = stack.call("PUT", &change, &school_admin, Some(json!({"apis": []}))).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:54321".into()));
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &school_admin, None).await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(
        stack.call("PUT", &change, &school_admin, Some(json!({"apis": ["leerlingen"]}))).await.status,
        StatusCode::NOT_FOUND,
        "revoked: needs a new invitation"
    );
    let logs = stack.call("GET", &format!("/applications/{}/logs?limit=100", app.id), &app.token, None).await;
    let actions: Vec<(String, String)> = logs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["property"] == "Scope")
        .map(|e| {
            (e["action"].as_str().unwrap().to_owned(), e["to"].as_str().or(e["from"].as_str()).unwrap().to_owned())
        })
        .collect();
    for expected in [
        ("granted", "leerlingen:012345"),
        ("granted", "leerlingen:54321"),
        ("granted", "personeel:012345"),
        ("revoked", "leerlingen:012345"),
        ("revoked", "personeel:012345"),
    ] {
        assert!(actions.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {actions:?}");
    }
}

/// Issue 22, item 3: a link serves the school, not one inbox. Any administrator with rights for
/// that school and those APIs can use it (the answer says to whom it was sent); the register and
/// the log say who granted; an administrator without the rights gets a clear refusal.
#[tokio::test]
async fn an_access_link_serves_every_administrator_of_the_school() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    send_requests(&stack, &app, json!(ADMIN)).await;
    let link = stack.access_link(ADMIN).await;
    let colleague = stack.admin_token("ict@school.be", "leerlingen:012345 personeel:012345").await;
    let opened = stack.call("GET", &format!("/access-requests/{link}"), &colleague, None).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert_eq!(opened.body["sent_to"], ADMIN, "the page says to whom it was sent");

    // An administrator of Informat without rights for these APIs here: refused, in words.
    let path = format!("/access-requests/{link}/grant");
    let without = stack.admin_token("secretariaat@school.be", "rekeningen:012345").await;
    let refused =
        stack.call("POST", &path, &without, Some(json!({"institution": SCHOOL, "apis": ["leerlingen"]}))).await;
    assert_eq!((refused.status, refused.problem_code()), (StatusCode::FORBIDDEN, "not_school_admin"));
    assert!(refused.body["detail"].as_str().unwrap().contains("Leerlingen"), "{}", refused.body);
    assert_eq!(token_scope(&stack, &app).await, Err("invalid_scope".into()), "the refusal granted nothing");

    // The colleague grants through the link that was sent to the principal.
    let body = json!({"institution": SCHOOL, "apis": ["leerlingen", "personeel"]});
    let granted = stack.call("POST", &path, &colleague, Some(body)).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345 personeel:012345".into()));
    let access = stack.call("GET", &format!("/applications/{}/access", app.id), &app.token, None).await;
    let by: BTreeSet<&str> =
        access.body["items"].as_array().unwrap().iter().map(|i| i["granted_by"].as_str().unwrap()).collect();
    assert_eq!(by, BTreeSet::from(["ict@school.be"]), "{}", access.body);
    let school = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &colleague, None).await;
    assert_eq!(school.body["items"][0]["granted_by"], "ict@school.be", "{}", school.body);
    let logs = stack.call("GET", &format!("/applications/{}/logs?limit=100", app.id), &app.token, None).await;
    let grants: Vec<&Value> = logs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "granted" && e["property"] == "Scope")
        .collect();
    assert!(!grants.is_empty(), "{}", logs.body);
    assert!(grants.iter().all(|e| e.to_string().contains("ict@school.be")), "{grants:?}");
}

#[tokio::test]
async fn links_expire_after_a_month_and_the_job_marks_them_without_touching_grants() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    send_requests(&stack, &app, json!([ADMIN, "ict@school.be"])).await;
    let link = stack.access_link(ADMIN).await;
    let admin = stack.admin_token(ADMIN, "leerlingen:012345").await;
    let grant = json!({"institution": SCHOOL, "apis": ["leerlingen"]});
    let granted = stack.call("POST", &format!("/access-requests/{link}/grant"), &admin, Some(grant.clone())).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);

    // A month and a day later: 410, also before the job ran.
    stack.advance_clock(32 * 24 * 3600).await;
    let opened = stack.call("GET", &format!("/access-requests/{link}"), &admin, None).await;
    assert_eq!((opened.status, opened.problem_code()), (StatusCode::GONE, "access_request_expired"));
    let late = stack.call("POST", &format!("/access-requests/{link}/grant"), &admin, Some(grant)).await;
    assert_eq!(late.status, StatusCode::GONE);
    let listed = stack.call("GET", &format!("/applications/{}/access-requests", app.id), &app.token, None).await;
    assert!(listed.body["items"].as_array().unwrap().iter().all(|r| r["status"] == "expired"), "{}", listed.body);

    // The job marks both and logs it; running it again changes nothing. Two round trips however
    // much expires: the week's index Queries together, then the expiries together.
    stack.local.aws_requests.take();
    let run = stack.post("/_local/run/expire-access-requests", json!({})).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body, json!({"read": 2, "expired": 2}));
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    assert_eq!((requests.values().sum::<usize>(), chain), (9, 2), "{requests:?}");
    let again = stack.post("/_local/run/expire-access-requests", json!({})).await;
    assert_eq!(again.body, json!({"read": 0, "expired": 0}), "idempotent, and expired requests leave the index");
    let logs = stack.call("GET", &format!("/applications/{}/logs", app.id), &app.token, None).await;
    let expired: Vec<&Value> =
        logs.body["items"].as_array().unwrap().iter().filter(|e| e["action"] == "expired").collect();
    assert_eq!(expired.len(), 2);
    assert_eq!(expired[0]["user"], "systeem");
    // Granted access is not touched by expiry.
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345".into()));
}

/// Seeds `per_day` pending requests on each of `days` days starting `from_day` days after now.
async fn seed(stack: &Stack, app_id: &str, partner_id: &str, from_day: i64, days: i64, per_day: usize) {
    let now = portal::ports::Clock::now(stack.local.clock.as_ref());
    for day in from_day..from_day + days {
        let requests: Vec<AccessRequest> = (0..per_day)
            .map(|n| {
                let expires_at = now + chrono::Duration::days(day) + chrono::Duration::minutes(n as i64);
                AccessRequest {
                    id: AccessRequestId::new(),
                    token_hash: SecretToken::generate().unwrap().hash(),
                    application_id: serde_json::from_value(json!(app_id)).unwrap(),
                    partner_id: serde_json::from_value(json!(partner_id)).unwrap(),
                    client_id: None,
                    email: Email::parse("email", &format!("b{day}-{n}@school.be")).unwrap(),
                    requested_by: "partner@voorbeeld.be".into(),
                    created_at: expires_at - chrono::Duration::days(30),
                    expires_at,
                    status: AccessRequestStatus::Pending,
                    granted: Default::default(),
                    version: 1,
                }
            })
            .collect();
        // Seeding is not sending: a budget far above the day's limits.
        let budget = MailBudget { per_application: 10_000, per_partner: 10_000, ..MailBudget::of(now) };
        let seeded = portal::domain::Change::AccessRequested {
            application: requests[0].application_id.clone(),
            partner: requests[0].partner_id.clone(),
            requests: requests.iter().map(|r| r.id.clone()).collect(),
            by: "seed".into(),
            at: now,
        };
        let stored = stack.local.deps.access.create_access_requests(&requests, &[], &budget, &seeded).await.unwrap();
        assert_eq!(stored, RequestsStored::Yes);
    }
}

#[tokio::test]
async fn the_expiry_job_reads_what_expires_not_what_is_stored() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    let profile = stack.call("GET", "/profile", &app.token, None).await;
    let partner_id = profile.body["id"].as_str().unwrap().to_owned();
    // 10 requests expire within the next day; 300 more over the 60 days after it.
    seed(&stack, &app.id, &partner_id, 0, 1, 10).await;
    seed(&stack, &app.id, &partner_id, 3, 60, 5).await;
    stack.advance_clock(24 * 3600).await;
    let run = stack.post("/_local/run/expire-access-requests", json!({})).await;
    assert_eq!(run.body, json!({"read": 10, "expired": 10}), "310 stored");
    // Three times as many stored, the same number expiring: the same number read.
    seed(&stack, &app.id, &partner_id, 3, 60, 10).await;
    seed(&stack, &app.id, &partner_id, 0, 1, 10).await;
    stack.advance_clock(24 * 3600).await;
    let run = stack.post("/_local/run/expire-access-requests", json!({})).await;
    assert_eq!(run.body, json!({"read": 10, "expired": 10}), "910 stored");
    eprintln!("expiry run: 10 expiring of 310 stored -> 10 items read; 10 expiring of 910 stored -> 10 items read");
}

#[tokio::test]
async fn a_linked_existing_client_is_managed_by_its_schools_without_a_new_invitation() {
    let stack = Stack::start().await;
    stack
        .legacy_client(json!({"client_id": "school_koppeling", "client_secret": "Oud-Geheim-1", "scopes": ["leerlingen:012345", "personeel:012345"]}))
        .await;
    let (token, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let mut body = application_input("Bestaande koppeling", &["leerlingen", "personeel"]);
    body["link"] = json!({"client_id": "school_koppeling", "client_secret": "Oud-Geheim-1"});
    let created = stack.call("POST", "/applications", &token, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let app = Approved { token, id: id.clone(), client_id: "school_koppeling".into(), secret: "Oud-Geheim-1".into() };
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345 personeel:012345".into()));

    let admin = stack.admin_token("ict@school.be", "leerlingen:012345 personeel:012345").await;
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &admin, None).await;
    assert_eq!(listed.body["items"][0]["application"]["id"], id.as_str(), "{}", listed.body);
    assert_eq!(listed.body["items"][0]["granted_by"], "import");
    let access = stack.call("GET", &format!("/applications/{id}/access"), &app.token, None).await;
    assert_eq!(access.body["items"].as_array().unwrap().len(), 2, "{}", access.body);
    let change = format!("/schools/{SCHOOL}/applications/{id}/access");
    let narrowed = stack.call("PUT", &change, &admin, Some(json!({"apis": ["leerlingen"]}))).await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.body);
    assert_eq!(token_scope(&stack, &app).await, Ok("leerlingen:012345".into()));
    // The application can only be given the APIs it checked.
    let unchecked = stack.call("PUT", &change, &admin, Some(json!({"apis": ["leerlingen", "internen"]}))).await;
    assert_eq!(unchecked.problem_code(), "validation_failed");
    let revoked = stack.call("PUT", &change, &admin, Some(json!({"apis": []}))).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(token_scope(&stack, &app).await, Err("invalid_scope".into()));
}

/// What GET /applications/{id}/access says: (institution, api, granted_at, granted_by) per scope.
async fn access_items(stack: &Stack, app: &Approved) -> Vec<(String, String, String, String)> {
    let answer = stack.call("GET", &format!("/applications/{}/access", app.id), &app.token, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{}", answer.body)).to_owned();
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (text(&i["institution"]), text(&i["api"]), text(&i["granted_at"]), text(&i["granted_by"])))
        .collect()
}

#[tokio::test]
async fn grants_are_recorded_per_api_and_a_full_revoke_leaves_no_record() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    send_requests(&stack, &app, json!(ADMIN)).await;
    let link = stack.access_link(ADMIN).await;
    let admin = stack.admin_token(ADMIN, "leerlingen:012345 personeel:012345").await;
    let ict = stack.admin_token("ict@school.be", "leerlingen:012345 personeel:012345").await;
    let grant = |apis: Value| {
        let path = format!("/access-requests/{link}/grant");
        let (stack, admin) = (&stack, &admin);
        async move {
            let answer = stack.call("POST", &path, admin, Some(json!({"institution": SCHOOL, "apis": apis}))).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
    };
    let change = |apis: Value| {
        let path = format!("/schools/{SCHOOL}/applications/{}/access", app.id);
        let (stack, ict) = (&stack, &ict);
        async move {
            let answer = stack.call("PUT", &path, ict, Some(json!({"apis": apis}))).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
    };
    let row = |api: &str, at: &str, by: &str| (SCHOOL.to_owned(), api.to_owned(), at.to_owned(), by.to_owned());

    // The first grant, and an hour later another administrator adds an API: each keeps its own.
    grant(json!(["leerlingen"])).await;
    let first = access_items(&stack, &app).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let t1 = first[0].2.clone();
    stack.advance_clock(3600).await;
    change(json!(["leerlingen", "personeel"])).await;
    let both = access_items(&stack, &app).await;
    let t2 = both[1].2.clone();
    assert!(t2 > t1, "{both:?}");
    assert_eq!(both, [row("leerlingen", &t1, ADMIN), row("personeel", &t2, "ict@school.be")]);
    // The school's list says the same per API, and its earliest grant.
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &ict, None).await;
    let item = &listed.body["items"][0];
    assert_eq!(
        item["grants"],
        json!([
            {"api": "leerlingen", "scope": "leerlingen:012345", "granted_at": t1, "granted_by": ADMIN},
            {"api": "personeel", "scope": "personeel:012345", "granted_at": t2, "granted_by": "ict@school.be"}
        ]),
        "{}",
        listed.body
    );
    assert_eq!((item["granted_at"].as_str(), item["granted_by"].as_str()), (Some(t1.as_str()), Some(ADMIN)));

    // A revoked API is gone; granted again later, it starts anew.
    stack.advance_clock(3600).await;
    change(json!(["leerlingen"])).await;
    assert_eq!(access_items(&stack, &app).await, [row("leerlingen", &t1, ADMIN)]);
    stack.advance_clock(3600).await;
    grant(json!(["personeel"])).await;
    let again = access_items(&stack, &app).await;
    let t3 = again[1].2.clone();
    assert!(t3 > t2, "{again:?}");
    assert_eq!(again, [row("leerlingen", &t1, ADMIN), row("personeel", &t3, ADMIN)]);

    // A full revoke leaves no record: not in the access list, not at the school, not in the table.
    change(json!([])).await;
    assert_eq!(access_items(&stack, &app).await, []);
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &ict, None).await;
    assert_eq!(listed.body["items"], json!([]));
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let stored = aws_sdk_dynamodb::Client::new(&sdk)
        .get_item()
        .table_name(&stack.local.resources.table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(format!("CLIENT#{}", app.client_id)))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(format!("ACCESS#{SCHOOL}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.item, None, "the school's record is removed");
    // The link still works: a new grant starts anew.
    stack.advance_clock(3600).await;
    grant(json!(["leerlingen"])).await;
    let renewed = access_items(&stack, &app).await;
    assert_eq!(renewed.len(), 1);
    assert!(renewed[0].2 > t3 && renewed[0].3 == ADMIN, "{renewed:?}");
}

#[tokio::test]
async fn an_archived_application_s_access_cannot_be_changed_at_a_school() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    send_requests(&stack, &app, json!(ADMIN)).await;
    let link = stack.access_link(ADMIN).await;
    let admin = stack.admin_token(ADMIN, "leerlingen:012345 personeel:012345").await;
    let grant = json!({"institution": SCHOOL, "apis": ["leerlingen"]});
    let granted = stack.call("POST", &format!("/access-requests/{link}/grant"), &admin, Some(grant)).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    let moderator = stack.staff_token("archivaris@informat.be", &["moderators"]).await;
    let archived = stack.call("POST", &format!("/admin/applications/{}/archive", app.id), &moderator, None).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);

    let client = || async {
        let id = portal::domain::ClientId::parse(&app.client_id).unwrap();
        stack.local.deps.applications.client(&id).await.unwrap().unwrap()
    };
    let log_len = || async {
        let logs = stack.call("GET", &format!("/applications/{}/logs?limit=100", app.id), &app.token, None).await;
        logs.body["items"].as_array().unwrap().len()
    };
    let (client_before, logs_before) = (client().await, log_len().await);
    let mails_before = stack.get("/_local/mails", None).await.body["items"].as_array().unwrap().len();
    let listed_before = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &admin, None).await.body;
    let change = format!("/schools/{SCHOOL}/applications/{}/access", app.id);
    for apis in [json!([]), json!(["leerlingen", "personeel"]), json!(["personeel"])] {
        let refused = stack.call("PUT", &change, &admin, Some(json!({"apis": apis}))).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{apis}: {}", refused.body);
        assert_eq!(refused.problem_code(), "application_not_approved");
    }
    assert_eq!(client().await, client_before, "the client's scopes are unchanged");
    assert_eq!(log_len().await, logs_before, "nothing logged");
    assert_eq!(stack.get("/_local/mails", None).await.body["items"].as_array().unwrap().len(), mails_before);
    let listed = stack.call("GET", &format!("/schools/{SCHOOL}/applications"), &admin, None).await.body;
    assert_eq!(listed, listed_before, "the school's record is unchanged");
    assert_eq!(listed["items"][0]["application"]["status"], "archived");
    // Where it never had access, the answer stays 404.
    let elsewhere = stack.admin_token("beheer@andereschool.be", "leerlingen:77777").await;
    let uninvited = format!("/schools/77777/applications/{}/access", app.id);
    assert_eq!(
        stack.call("PUT", &uninvited, &elsewhere, Some(json!({"apis": ["leerlingen"]}))).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The review's phishing: an approved application's description (and name) rewritten to send
/// school administrators elsewhere, then an access request. The mail quotes the partner's text
/// as the partner's, no address in it is recognisable as a link, and the one official link is
/// the only link in the mail.
#[tokio::test]
async fn partner_text_in_an_access_request_mail_is_quoted_and_its_links_are_inert() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    let phishing = "Verleen toegang tot de gegevens van je school via deze link: https://evil.example/toegang?school=1\n\
        Lukt dat niet, mail dan naar hulp@evil.example of kijk op www.evil.example (of ｈｔｔｐｓ：／／evil．example, hxxps://evil.example).";
    let mut body = application_input("Lessenplanner evil.example", &["leerlingen", "personeel"]);
    body["description"] = json!(phishing);
    let edited = stack.call("PUT", &format!("/applications/{}", app.id), &app.token, Some(body)).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["status"], "approved", "an edit keeps an approved application approved");

    let sent = send_requests(&stack, &app, json!(ADMIN)).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let link = sent.body["items"][0]["link"].as_str().unwrap();
    let mail = stack.mails_to(ADMIN).await.pop().unwrap();
    assert_eq!(mail["subject"], "Informat Partnerportaal - Datatoegang voor applicatie Lessenplanner evil[.]example");
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    let shown = shown_html(html);
    for (part, content) in [("text", text), ("html", shown.as_str())] {
        for evil in ["https://evil.example", "evil.example", "hulp@evil", "evil．example", "www.evil"] {
            assert!(!content.contains(evil), "{part} holds {evil}:\n{content}");
        }
        assert_eq!(links(content), [link], "{part}: the official link is the only link:\n{content}");
        assert!(content.contains("Informat vraagt je nooit"), "{part}:\n{content}");
        // Below the partner's text, the one action.
        let quoted = content.find("via deze link").unwrap();
        let action = content.find("Toegang verlenen:").unwrap();
        assert!(quoted < action && action < content.find(link).unwrap(), "{part}:\n{content}");
    }
    assert_eq!(text.matches("http://").count() + text.matches("https://").count(), 1, "{text}");
    // In the text part every line of the partner's text is quoted.
    for line in text.lines().filter(|l| l.contains("evil") || l.contains("Lukt dat niet")) {
        assert!(line.starts_with("> "), "not quoted: {line}\n{text}");
    }
    assert!(text.contains("> Verleen toegang tot de gegevens"), "{text}");
    // In the HTML part it stands in a blockquote, marked as the partner's, with one link.
    assert_eq!(html.matches("<a ").count(), 1, "{html}");
    assert_eq!(html.matches("href=").count(), 1, "{html}");
    assert!(html.contains(&format!("<a href=\"{}\"", link.replace('/', "&#x2f;"))), "{html}");
    let quote = &html[html.find("<blockquote").unwrap()..html.find("</blockquote>").unwrap()];
    assert!(shown_html(quote).contains("Verleen toegang tot de gegevens"), "{html}");
    assert!(shown.contains("Tekst van de partner"), "{shown}");

    // The partner's application contact hears of the edit; the mail's one link is the portal's.
    let changed = stack.mails_to("tom@ontwikkelaar.be").await.pop().unwrap();
    assert!(changed["subject"].as_str().unwrap().contains("Lessenplanner evil[.]example"), "{}", changed["subject"]);
    for part in [changed["text"].as_str().unwrap().to_owned(), shown_html(changed["html"].as_str().unwrap())] {
        let found = links(&part);
        assert!(found.len() == 1 && found[0].contains("/applicaties/"), "{found:?}:\n{part}");
        assert!(!part.contains("evil.example"), "{part}");
    }
}

/// Every URL and e-mail address an autolinker finds in `text`, as mail clients make links of
/// them: with or without a scheme.
fn links(text: &str) -> Vec<&str> {
    let mut finder = linkify::LinkFinder::new();
    finder.url_must_have_scheme(false);
    finder.links(text).map(|l| l.as_str()).collect()
}

/// What an HTML part shows: its text with each tag as a space (cells and paragraphs stand
/// apart), with minijinja's escapes undone.
fn shown_html(html: &str) -> String {
    let mut shown = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                shown.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => shown.push(c),
            _ => {}
        }
    }
    [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#x27;", "'"), ("&#x2f;", "/"), ("&amp;", "&")]
        .iter()
        .fold(shown, |s, (entity, c)| s.replace(entity, c))
}

/// `n` made-up addresses of one batch.
fn addresses(batch: &str, n: usize) -> Value {
    json!((0..n).map(|i| format!("{batch}-{i}@school.be")).collect::<Vec<_>>())
}

/// A refusal for a daily limit: 429 with `Retry-After` (the next UTC midnight; `now` is a
/// moment shortly after the request was sent), beside `emails`.
fn limited(answer: &portal_e2e::Answer, field_code: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{}", answer.body);
    assert_eq!(answer.problem_code(), "too_many_access_requests");
    let retry: i64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let left = (midnight - now).num_seconds();
    assert!((left - 1..=left + 30).contains(&retry), "Retry-After {retry} for {now}");
    let error = &answer.body["errors"][0];
    assert_eq!(
        (error["field"].as_str(), error["code"].as_str()),
        (Some("emails"), Some(field_code)),
        "{}",
        answer.body
    );
    assert_eq!(error["message"], answer.body["detail"]);
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn access_requests_are_limited_per_address_application_and_partner_per_day() {
    let stack = Stack::start().await;
    let app = approved(&stack).await;
    let now = || portal::ports::Clock::now(stack.local.clock.as_ref());
    let count = |app: &Approved| {
        let path = format!("/applications/{}/access-requests", app.id);
        let stack = &stack;
        let token = app.token.clone();
        async move { stack.call("GET", &path, &token, None).await.body["items"].as_array().unwrap().len() }
    };

    // One mail per address per application per day: a second request to an address that had
    // one today is refused whole, naming it, and nothing of it is stored or sent.
    assert_eq!(send_requests(&stack, &app, addresses("a", 20)).await.status, StatusCode::CREATED);
    let again = send_requests(&stack, &app, json!("nieuw@school.be; a-3@school.be")).await;
    let message = limited(&again, "already_requested_today", now());
    assert!(message.contains("a-3@school.be") && !message.contains("nieuw@school.be"), "{message}");
    assert!(stack.mails_to("nieuw@school.be").await.is_empty());
    assert_eq!(stack.mails_to("a-3@school.be").await.len(), 1);
    assert_eq!(count(&app).await, 20);

    // At most 50 mails per application per day; the refusal says how many can still go.
    assert_eq!(send_requests(&stack, &app, addresses("b", 20)).await.status, StatusCode::CREATED);
    let over = send_requests(&stack, &app, addresses("c", 20)).await;
    let message = limited(&over, "daily_limit_application", now());
    assert!(message.contains("nog 10"), "{message}");
    assert!(stack.mails_to("c-0@school.be").await.is_empty());
    assert_eq!(send_requests(&stack, &app, addresses("c", 10)).await.status, StatusCode::CREATED);
    assert_eq!(count(&app).await, 50);
    let full = send_requests(&stack, &app, json!("laatste@school.be")).await;
    assert!(limited(&full, "daily_limit_application", now()).contains("al 50"));

    // At most 100 per partner per day, all its applications together.
    let moderator = stack.staff_token("moderator2@informat.be", &["moderators"]).await;
    let mut more = Vec::new();
    for name in ["Rapportenbundel", "Agendaplanner"] {
        let created =
            stack.call("POST", "/applications", &app.token, Some(application_input(name, &["leerlingen"]))).await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let approved = stack.call("POST", &format!("/admin/applications/{id}/approve"), &moderator, None).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
        more.push(Approved { token: app.token.clone(), id, client_id: String::new(), secret: String::new() });
    }
    for batch in ["d", "e"] {
        assert_eq!(send_requests(&stack, &more[0], addresses(batch, 20)).await.status, StatusCode::CREATED);
    }
    let over = send_requests(&stack, &more[1], addresses("f", 20)).await;
    assert!(limited(&over, "daily_limit_partner", now()).contains("nog 10"));
    assert_eq!(count(&more[1]).await, 0);
    assert_eq!(send_requests(&stack, &more[1], addresses("f", 10)).await.status, StatusCode::CREATED);
    let full = send_requests(&stack, &more[1], json!("laatste@school.be")).await;
    assert!(limited(&full, "daily_limit_partner", now()).contains("al 100"));

    // Another partner has its own budget, whatever this one spent.
    let (stranger, _) = stack.partner("ander@voorbeeld.be", "Ander BV").await;
    let theirs =
        stack.call("POST", "/applications", &stranger, Some(application_input("Andere app", &["leerlingen"]))).await;
    let theirs_id = theirs.body["id"].as_str().unwrap().to_owned();
    stack.call("POST", &format!("/admin/applications/{theirs_id}/approve"), &moderator, None).await;
    let theirs = Approved { token: stranger, id: theirs_id, client_id: String::new(), secret: String::new() };
    assert_eq!(send_requests(&stack, &theirs, json!("a-3@school.be")).await.status, StatusCode::CREATED);

    // The next UTC day the budget is whole again, the same addresses included. Requests at
    // the same moment never overrun it, and none of them fails with a 5xx.
    let midnight = (now().date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 1).unwrap().and_utc();
    stack.advance_clock((midnight - now()).num_seconds()).await;
    let (g, h, i, j, k) = tokio::join!(
        send_requests(&stack, &app, addresses("g", 20)),
        send_requests(&stack, &app, addresses("h", 20)),
        send_requests(&stack, &app, addresses("i", 20)),
        send_requests(&stack, &app, addresses("j", 20)),
        send_requests(&stack, &app, addresses("k", 20)),
    );
    let answers = [g, h, i, j, k];
    let created = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        limited(refused, "daily_limit_application", now());
    }
    assert_eq!(created, 2, "two batches of 20 fit in 50");
    assert_eq!(send_requests(&stack, &app, addresses("a", 10)).await.status, StatusCode::CREATED);
    assert_eq!(count(&app).await, 50 + 50);
}
