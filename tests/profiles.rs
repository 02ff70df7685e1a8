//! Partner profiles over HTTP (manual 3.2, api.md "Me, profile, users"): create, read, the
//! name's uniqueness (also under concurrent creates), field rules, and the category list.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use portal_e2e::Stack;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn input(name: &str) -> Value {
    json!({
        "name": name,
        "enterprise_number": "BE 0123.456.749",
        "description": "Leerlingenadministratie gekoppeld aan Informat.",
        "contact_name": "An Peeters",
        "address": {"street": "Kerkstraat 1", "postal_code": "2000", "city": "Antwerpen", "country": "be"},
        "public": true,
        "categories": ["hrm", "communiceren"],
        "website": "https://www.voorbeeld.be",
        "extra_info": "Mail support@voorbeeld.be om te starten."
    })
}

async fn post(stack: &Stack, path: &str, token: &str, body: Value) -> portal_e2e::Answer {
    stack.send(stack.http.post(stack.url(path)).bearer_auth(token).json(&body)).await
}

#[tokio::test]
async fn create_read_and_me() {
    let stack = Stack::start().await;
    let token = stack.access_token("creator@voorbeeld.be").await;
    let none = stack.get("/profile", Some(&token)).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(none.problem_code(), "profile_not_linked");

    let created = post(&stack, "/profile", &token, input("  Voorbeeld   Software ")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let p = &created.body;
    assert_eq!(p["name"], "Voorbeeld Software");
    assert_eq!(p["slug"], "voorbeeld-software");
    assert_eq!(p["enterprise_number"], "0123456749");
    assert_eq!(p["email"], "creator@voorbeeld.be");
    assert_eq!(p["address"]["country"], "BE");
    assert_eq!(p["categories"], json!(["communiceren", "hrm"]));
    assert_eq!(p["website"], "https://www.voorbeeld.be/");
    assert_eq!(p["active"], true);
    assert_eq!(p["logo_url"], Value::Null);
    assert_eq!(p["version"], 1);

    let read = stack.get("/profile", Some(&token)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(&read.body, p);
    let me = stack.get("/me", Some(&token)).await;
    assert_eq!(me.body["profile"], json!({"id": p["id"], "name": "Voorbeeld Software"}));

    // One profile per account.
    let second = post(&stack, "/profile", &token, input("Nog Een Bedrijf")).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.problem_code(), "account_already_linked");
    // The email is the creator's and cannot be sent.
    let mut with_email = input("Ander Bedrijf");
    with_email["email"] = json!("iemand@anders.be");
    assert_eq!(post(&stack, "/profile", &token, with_email).await.problem_code(), "invalid_request");
}

#[tokio::test]
async fn names_are_unique_across_case_and_spacing() {
    let stack = Stack::start().await;
    let first = stack.access_token("first@voorbeeld.be").await;
    assert_eq!(post(&stack, "/profile", &first, input("Plantyn Software")).await.status, StatusCode::CREATED);
    let other = stack.access_token("other@voorbeeld.be").await;
    for variant in ["Plantyn Software", "plantyn software", "  PLANTYN    software  "] {
        let answer = post(&stack, "/profile", &other, input(variant)).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{variant}");
        assert_eq!(answer.problem_code(), "profile_name_taken");
        let name = variant.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(answer.body["detail"], format!("Er bestaat al een profiel met als naam {name}"));
    }
    // A name that only slugs alike is a different name: it gets its own, longer slug.
    let alike = post(&stack, "/profile", &other, input("Plantyn-Software")).await;
    assert_eq!(alike.status, StatusCode::CREATED, "{}", alike.body);
    assert!(alike.body["slug"].as_str().unwrap().starts_with("plantyn-software-"), "{}", alike.body["slug"]);
}

#[tokio::test]
async fn field_rules_are_enforced_and_all_reported() {
    let stack = Stack::start().await;
    let token = stack.access_token("rules@voorbeeld.be").await;
    let cases = [
        ("name", json!("x".repeat(201)), "too_long"),
        ("name", json!("   "), "required"),
        ("enterprise_number", json!("0123.456.748"), "invalid_enterprise_number"),
        ("enterprise_number", json!("2123456749"), "invalid_enterprise_number"),
        ("description", json!("x".repeat(2001)), "too_long"),
        ("contact_name", json!("x".repeat(201)), "too_long"),
        ("extra_info", json!("x".repeat(2001)), "too_long"),
        ("website", json!("voorbeeld"), "invalid_url"),
        ("website", json!("ftp://voorbeeld.be"), "invalid_url"),
        ("categories", json!([]), "required"),
        ("categories", json!(["games"]), "unknown_category"),
    ];
    for (field, value, code) in cases {
        let mut body = input("Regels BV");
        body[field] = value;
        let answer = post(&stack, "/profile", &token, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(answer.problem_code(), "validation_failed");
        let errors = answer.body["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{field}: {errors:?}");
    }
    // Exactly at the limits is fine; the enterprise number is optional.
    let mut edge = input(&"N".repeat(200));
    edge["description"] = json!("d".repeat(2000));
    edge["enterprise_number"] = Value::Null;
    let answer = post(&stack, "/profile", &token, edge).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["enterprise_number"], Value::Null);
}

#[tokio::test]
async fn concurrent_creates_with_one_name_have_one_winner_and_leave_no_orphans() {
    let stack = Stack::start().await;
    let a = stack.access_token("a@voorbeeld.be").await;
    let b = stack.access_token("b@voorbeeld.be").await;
    let (ra, rb) = tokio::join!(
        post(&stack, "/profile", &a, input("Gelijktijdig BV")),
        post(&stack, "/profile", &b, input("gelijktijdig  bv"))
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{} / {}", ra.body, rb.body);

    // The loser's account stayed unlinked: it can still create a profile of its own.
    let loser = if ra.status == StatusCode::CONFLICT { &a } else { &b };
    assert_eq!(post(&stack, "/profile", loser, input("Tweede BV")).await.status, StatusCode::CREATED);

    // Every guard in the table points at a stored profile; every profile has its guards.
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let items = aws_sdk_dynamodb::Client::new(&sdk)
        .scan()
        .table_name(&stack.local.resources.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let s = |item: &std::collections::HashMap<String, AttributeValue>, k: &str| {
        item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    let profiles: HashSet<String> = items
        .iter()
        .filter(|i| s(i, "SK") == "PROFILE")
        .map(|i| s(i, "PK").trim_start_matches("PARTNER#").to_owned())
        .collect();
    let guards: Vec<_> = items.iter().filter(|i| ["PROFILENAME", "SLUG"].contains(&s(i, "SK").as_str())).collect();
    assert_eq!(profiles.len(), 2);
    assert_eq!(guards.len(), 4, "one name and one slug guard per profile");
    for guard in guards {
        assert!(profiles.contains(&s(guard, "partner_id")), "orphan guard {}", s(guard, "PK"));
    }
}

#[tokio::test]
async fn categories_are_public() {
    let stack = Stack::start().await;
    let answer = stack.get("/categories", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let items = answer.body["items"].as_array().unwrap();
    assert!(items.contains(&json!({"code": "communiceren", "label": "Communiceren"})));
    assert!(items.contains(&json!({"code": "hrm", "label": "HRM"})));
}

#[tokio::test]
async fn profile_routes_need_a_partner() {
    let stack = Stack::start().await;
    assert_eq!(stack.get("/profile", None).await.status, StatusCode::UNAUTHORIZED);
    let answer = stack.send(stack.http.post(stack.url("/profile")).json(&input("Anoniem BV"))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

async fn put(stack: &Stack, token: &str, body: Value) -> portal_e2e::Answer {
    stack.send(stack.http.put(stack.url("/profile")).bearer_auth(token).json(&body)).await
}

async fn logs(stack: &Stack, token: &str, query: &str) -> portal_e2e::Answer {
    stack.get(&format!("/profile/logs{query}"), Some(token)).await
}

#[tokio::test]
async fn edits_are_logged_per_property_and_mailed() {
    let stack = Stack::start().await;
    let token = stack.access_token("editor@voorbeeld.be").await;
    post(&stack, "/profile", &token, input("Bewerk BV")).await;

    let mut changed = input("Bewerk BV");
    changed["public"] = json!(false);
    changed["categories"] = json!(["hrm", "communiceren", "planning"]);
    changed["extra_info"] = Value::Null;
    changed["version"] = json!(1);
    stack.local.aws_requests.take();
    let answer = put(&stack, &token, changed.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // The account; the profile and the partner's applications together; the transaction; the
    // mail: four round trips one after the other.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected =
        [("DynamoDB.GetItem", 2), ("DynamoDB.Query", 1), ("DynamoDB.TransactWriteItems", 1), ("SESv2.SendEmail", 1)];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what an edit sends");
    assert_eq!(chain, 4, "{requests:?}");
    assert_eq!(answer.body["version"], 2);
    assert_eq!(answer.body["public"], false);
    assert_eq!(answer.body["extra_info"], Value::Null);

    let log = logs(&stack, &token, "").await;
    assert_eq!(log.status, StatusCode::OK);
    let items = log.body["items"].as_array().unwrap();
    let properties: Vec<&str> = items.iter().map(|e| e["property"].as_str().unwrap()).collect();
    assert_eq!(properties.len(), 4, "three changes and the creation: {items:?}");
    assert_eq!(items[3]["action"], "created", "the oldest entry is the creation");
    for property in ["Publiek / Privé", "Categorie", "Extra info"] {
        assert!(properties.contains(&property), "{property}: {properties:?}");
    }
    let public = items.iter().find(|e| e["property"] == "Publiek / Privé").unwrap();
    assert_eq!(public["action"], "updated");
    assert_eq!(public["user"], "editor@voorbeeld.be");
    assert_eq!((public["from"].as_str(), public["to"].as_str()), (Some("Publiek"), Some("Privé")));
    assert!(public["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(log.body["next_cursor"], Value::Null);

    let mail = stack.mails_to("editor@voorbeeld.be").await.pop().unwrap();
    assert_eq!(mail["subject"], "Informat – Je partnerprofiel werd gewijzigd");
    assert!(mail["text"].as_str().unwrap().contains("Publiek / Privé: Publiek -> Privé"), "{}", mail["text"]);

    // Saving without changes writes nothing.
    changed["version"] = json!(2);
    assert_eq!(put(&stack, &token, changed).await.body["version"], 2);
    assert_eq!(logs(&stack, &token, "").await.body["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn stale_versions_and_taken_names_change_nothing() {
    let stack = Stack::start().await;
    let token = stack.access_token("one@voorbeeld.be").await;
    let other = stack.access_token("two@voorbeeld.be").await;
    post(&stack, "/profile", &token, input("Eerste BV")).await;
    post(&stack, "/profile", &other, input("Tweede BV")).await;

    let mut edit = input("Eerste BV");
    edit["description"] = json!("Nieuwe omschrijving");
    edit["version"] = json!(1);
    assert_eq!(put(&stack, &token, edit.clone()).await.status, StatusCode::OK);
    // The same edit again, based on version 1: someone else's change would be lost.
    edit["description"] = json!("Nog een omschrijving");
    let stale = put(&stack, &token, edit).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.problem_code(), "version_conflict");

    let mut rename = input("  tweede   bv ");
    rename["version"] = json!(2);
    let taken = put(&stack, &token, rename).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.problem_code(), "profile_name_taken");
    let now = stack.get("/profile", Some(&token)).await.body;
    assert_eq!((now["name"].as_str(), now["version"].as_u64()), (Some("Eerste BV"), Some(2)));
    assert_eq!(now["description"], "Nieuwe omschrijving");
    assert_eq!(logs(&stack, &token, "").await.body["items"].as_array().unwrap().len(), 2, "the creation and one edit");
}

#[tokio::test]
async fn a_rename_frees_the_old_name() {
    let stack = Stack::start().await;
    let token = stack.access_token("renamer@voorbeeld.be").await;
    post(&stack, "/profile", &token, input("Oude Naam")).await;
    let renamed = put(&stack, &token, input("Nieuwe Naam")).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Nieuwe Naam");
    let entry = &logs(&stack, &token, "").await.body["items"][0];
    assert_eq!(
        (entry["property"].as_str(), entry["from"].as_str(), entry["to"].as_str()),
        (Some("Naam"), Some("Oude Naam"), Some("Nieuwe Naam"))
    );

    let other = stack.access_token("newcomer@voorbeeld.be").await;
    assert_eq!(post(&stack, "/profile", &other, input("nieuwe naam")).await.problem_code(), "profile_name_taken");
    assert_eq!(post(&stack, "/profile", &other, input("oude naam")).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn logs_are_paginated_newest_first_within_the_partner() {
    let stack = Stack::start().await;
    let token = stack.access_token("pages@voorbeeld.be").await;
    post(&stack, "/profile", &token, input("Pagina BV")).await;
    for n in 1..=5 {
        let mut edit = input("Pagina BV");
        edit["description"] = json!(format!("Omschrijving {n}"));
        assert_eq!(put(&stack, &token, edit).await.status, StatusCode::OK);
    }
    let first = logs(&stack, &token, "?limit=2").await;
    let items = first.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["to"], "Omschrijving 5");
    assert_eq!(items[1]["to"], "Omschrijving 4");
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = logs(&stack, &token, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["items"][0]["to"], "Omschrijving 3");
    let mut all = Vec::new();
    let mut next = String::new();
    loop {
        let page = logs(&stack, &token, &format!("?limit=2{next}")).await;
        all.extend(page.body["items"].as_array().unwrap().iter().map(|e| e["to"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(c) => next = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 6, "five edits and the creation");

    assert_eq!(logs(&stack, &token, "?limit=0").await.problem_code(), "validation_failed");
    assert_eq!(logs(&stack, &token, "?limit=101").await.problem_code(), "validation_failed");
    assert_eq!(logs(&stack, &token, "?cursor=bm9wZQ").await.problem_code(), "invalid_request");

    // Another partner with this cursor reads its own (empty) log, never this one's.
    let stranger = stack.access_token("stranger@voorbeeld.be").await;
    post(&stack, "/profile", &stranger, input("Vreemde BV")).await;
    let theirs = logs(&stack, &stranger, &format!("?cursor={cursor}")).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["items"], json!([]));
}

#[tokio::test]
async fn an_invitation_code_links_one_more_account_once() {
    let stack = Stack::start().await;
    let owner = stack.access_token("owner@voorbeeld.be").await;
    let none = post(&stack, "/profile/invitations", &owner, json!(null)).await;
    assert_eq!(none.problem_code(), "profile_not_linked");
    let profile = post(&stack, "/profile", &owner, input("Team BV")).await.body;

    let invitation = post(&stack, "/profile/invitations", &owner, json!(null)).await;
    assert_eq!(invitation.status, StatusCode::CREATED, "{}", invitation.body);
    let code = invitation.body["code"].as_str().unwrap().to_owned();
    assert!(invitation.body["expires_at"].as_str().unwrap().ends_with('Z'));

    let colleague = stack.access_token("colleague@voorbeeld.be").await;
    stack.local.aws_requests.take();
    let linked = post(&stack, "/profile/link", &colleague, json!({"code": code})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    // The account and the code together; the profile while the code is used (the link reads the
    // code, then writes); the mail: four round trips one after the other, three when the
    // profile's read still runs as the link's write starts.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [("DynamoDB.GetItem", 4), ("DynamoDB.TransactWriteItems", 1), ("SESv2.SendEmail", 1)];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what a link sends");
    assert!(matches!(chain, 3 | 4), "{chain}: {requests:?}");
    assert_eq!(linked.body["id"], profile["id"]);
    assert_eq!(stack.get("/me", Some(&colleague)).await.body["profile"]["name"], "Team BV");

    // Used once: a second account gets the one answer for unknown, used and expired codes.
    let third = stack.access_token("third@voorbeeld.be").await;
    let reused = post(&stack, "/profile/link", &third, json!({"code": code})).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.problem_code(), "invalid_invitation_code");
    let unknown = post(&stack, "/profile/link", &third, json!({"code": "niet-een-code"})).await;
    assert_eq!(unknown.body["detail"], reused.body["detail"]);

    // An account that already has a profile cannot link another.
    let fresh =
        post(&stack, "/profile/invitations", &owner, json!(null)).await.body["code"].as_str().unwrap().to_owned();
    let again = post(&stack, "/profile/link", &colleague, json!({"code": fresh})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem_code(), "account_already_linked");

    // Every linked user has the same rights, and the users list shows both.
    let users = stack.get("/profile/users", Some(&colleague)).await;
    let emails: Vec<&str> =
        users.body["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["owner@voorbeeld.be", "colleague@voorbeeld.be"]);
    let mut edit = input("Team BV");
    edit["contact_name"] = json!("Collega");
    assert_eq!(put(&stack, &colleague, edit).await.status, StatusCode::OK);
    let log = logs(&stack, &owner, "").await.body;
    assert_eq!(log["items"][0]["user"], "colleague@voorbeeld.be");
    assert!(
        log["items"].as_array().unwrap().iter().any(|e| e["action"] == "linked" && e["to"] == "colleague@voorbeeld.be")
    );
}

#[tokio::test]
async fn invitation_codes_expire_after_seven_days() {
    let stack = Stack::start().await;
    let owner = stack.access_token("owner@voorbeeld.be").await;
    post(&stack, "/profile", &owner, input("Verloop BV")).await;
    let code =
        post(&stack, "/profile/invitations", &owner, json!(null)).await.body["code"].as_str().unwrap().to_owned();
    let late = stack.access_token("late@voorbeeld.be").await;
    stack.advance_clock(7 * 24 * 3600).await;
    let expired = post(&stack, "/profile/link", &late, json!({"code": code})).await;
    assert_eq!(expired.problem_code(), "invalid_invitation_code");
    assert_eq!(stack.get("/profile", Some(&late)).await.problem_code(), "profile_not_linked");
}

#[tokio::test]
async fn creating_inviting_and_linking_are_logged_and_linking_is_mailed() {
    const LINKED: &str = "Informat – Er werd een gebruiker gekoppeld aan je partnerprofiel";
    let stack = Stack::start().await;
    let owner = stack.access_token("eigenaar@voorbeeld.be").await;
    post(&stack, "/profile", &owner, input("Logboek BV")).await;
    let log = logs(&stack, &owner, "").await.body;
    let created = &log["items"][0];
    assert_eq!(log["items"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(
        (&created["action"], &created["property"], &created["user"], &created["to"]),
        (&json!("created"), &json!("Partnerprofiel"), &json!("eigenaar@voorbeeld.be"), &json!("Logboek BV"))
    );

    // An invitation: who made it and until when; never the code itself.
    let invitation = post(&stack, "/profile/invitations", &owner, json!(null)).await.body;
    let code = invitation["code"].as_str().unwrap().to_owned();
    let log = logs(&stack, &owner, "").await.body;
    let invited = &log["items"][0];
    assert_eq!((&invited["action"], &invited["property"]), (&json!("created"), &json!("Uitnodigingscode")));
    assert_eq!(invited["user"], "eigenaar@voorbeeld.be");
    let until = &invitation["expires_at"].as_str().unwrap()[..16].replace('T', " ");
    assert_eq!(invited["to"], format!("geldig tot {until} (UTC)"), "{log}");
    assert!(!log.to_string().contains(&code), "the code is not in the log");

    // A code that does not work links, logs and mails nothing.
    let colleague = stack.access_token("collega@voorbeeld.be").await;
    let wrong = post(&stack, "/profile/link", &colleague, json!({"code": "niet-een-code"})).await;
    assert_eq!(wrong.problem_code(), "invalid_invitation_code");
    assert_eq!(logs(&stack, &owner, "").await.body["items"].as_array().unwrap().len(), 2);
    let linked_mails = |mails: Vec<Value>| mails.into_iter().filter(|m| m["subject"] == LINKED).collect::<Vec<_>>();
    assert!(linked_mails(stack.mails_to("eigenaar@voorbeeld.be").await).is_empty());

    // Linking: logged, and the profile's email hears who joined with whose code.
    assert_eq!(post(&stack, "/profile/link", &colleague, json!({"code": code})).await.status, StatusCode::OK);
    let log = logs(&stack, &owner, "").await.body;
    assert_eq!(log["items"].as_array().unwrap().len(), 3, "{log}");
    let linked = &log["items"][0];
    assert_eq!((&linked["action"], &linked["to"]), (&json!("linked"), &json!("collega@voorbeeld.be")));
    let mails = linked_mails(stack.mails_to("eigenaar@voorbeeld.be").await);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["from"], "info@informat.be");
    for part in ["text", "html"] {
        let body = mails[0][part].as_str().unwrap();
        assert!(body.contains("collega@voorbeeld.be") && body.contains("Logboek BV"), "{body}");
        assert!(body.contains("uitnodigingscode van eigenaar@voorbeeld.be"), "{body}");
    }
    assert!(mails[0]["text"].as_str().unwrap().contains("http://portal.test/profiel"));
    assert!(linked_mails(stack.mails_to("collega@voorbeeld.be").await).is_empty(), "to the profile's email only");
}

#[tokio::test]
async fn a_profile_edit_sends_rejected_applications_back_to_review() {
    let stack = Stack::start().await;
    let token = stack.access_token("herzien@voorbeeld.be").await;
    post(&stack, "/profile", &token, input("Herzien BV")).await;
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let mut ids = Vec::new();
    for name in ["Geweigerd", "Nieuw", "Goedgekeurd"] {
        let created = stack
            .call("POST", "/applications", &token, Some(portal_e2e::application_input(name, &["leerlingen"])))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        ids.push(created.body["id"].as_str().unwrap().to_owned());
        stack.confirm_contact("tom@ontwikkelaar.be").await;
    }
    let (rejected, new, approved) = (&ids[0], &ids[1], &ids[2]);
    let reason = json!({"reason": "De omschrijving van je organisatie is onvolledig."});
    let answer = stack.call("POST", &format!("/admin/applications/{rejected}/reject"), &moderator, Some(reason)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = stack.call("POST", &format!("/admin/applications/{approved}/approve"), &moderator, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let app = |id: &str| {
        let path = format!("/applications/{id}");
        let (stack, token) = (&stack, &token);
        async move { stack.call("GET", &path, token, None).await.body }
    };
    let queue = || async {
        let answer = stack.call("GET", "/admin/applications?status=new", &moderator, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(queue().await, std::slice::from_ref(new));
    let (rejected_before, new_before) = (app(rejected).await, app(new).await);
    assert_eq!(rejected_before["status"], "rejected");

    // An edit that does not go through (a stale version) sends nothing back.
    let version = stack.get("/profile", Some(&token)).await.body["version"].as_u64().unwrap();
    let mut edit = input("Herzien BV");
    edit["description"] = json!("Wij maken planningssoftware voor het secundair onderwijs, met Informat gekoppeld.");
    edit["version"] = json!(version - 1);
    assert_eq!(put(&stack, &token, edit.clone()).await.problem_code(), "version_conflict");
    assert_eq!(app(rejected).await, rejected_before);

    // The edit: the rejected application is `new` again, in the review queue, logged and mailed.
    edit["version"] = json!(version);
    stack.local.aws_requests.take();
    let saved = put(&stack, &token, edit.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    // The two mails (the profile's change, the application's review) go out together.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected =
        [("DynamoDB.GetItem", 2), ("DynamoDB.Query", 1), ("DynamoDB.TransactWriteItems", 1), ("SESv2.SendEmail", 2)];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what the edit sends");
    assert_eq!(chain, 4, "{requests:?}");
    let back = app(rejected).await;
    assert_eq!(back["status"], "new", "{back}");
    assert_eq!(back["version"], rejected_before["version"].as_u64().unwrap() + 1);
    assert_eq!(app(new).await, new_before, "a new application is left as it is");
    assert_eq!(app(approved).await["status"], "approved");
    let mut queued = queue().await;
    queued.sort();
    let mut expected = vec![rejected.clone(), new.clone()];
    expected.sort();
    assert_eq!(queued, expected);
    let log = stack.call("GET", &format!("/applications/{rejected}/logs"), &token, None).await.body;
    let entry = &log["items"][0];
    assert_eq!(
        (&entry["action"], &entry["property"], &entry["from"], &entry["to"], &entry["user"]),
        (&json!("updated"), &json!("Status"), &json!("Geweigerd"), &json!("Nieuw"), &json!("herzien@voorbeeld.be")),
        "{log}"
    );
    let profile_log = logs(&stack, &token, "").await.body;
    assert_eq!(profile_log["items"][0]["property"], "Omschrijving", "the profile's change is logged as before");
    let mail = stack.mails_to("tom@ontwikkelaar.be").await.pop().unwrap();
    assert_eq!(mail["subject"], "Informat Partnerportaal – Applicatie Geweigerd wordt opnieuw beoordeeld");

    // Once back in review, a further edit leaves it alone; Informat can now approve it.
    edit["description"] = json!("Nog een aanpassing.");
    edit["version"] = saved.body["version"].clone();
    assert_eq!(put(&stack, &token, edit).await.status, StatusCode::OK);
    assert_eq!(app(rejected).await["version"], back["version"]);
    let answer = stack.call("POST", &format!("/admin/applications/{rejected}/approve"), &moderator, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}
