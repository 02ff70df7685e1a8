//! Logos and the public partner directory over HTTP (manual 3.2, api.md "Public directory"):
//! sniffed uploads, how logos are served, who is listed, what a listed partner shows, and the
//! directory's order, filters, pages and cost.
//!
//! Approving an application is what switches a listing on; until the applications issue adds
//! that route, the tests make that one change through the store's port (`update_profile` with
//! `approved_applications`), the same write an approval will make.
#![allow(clippy::unwrap_used)]

use portal::domain::{
    Account, AccountId, AccountStatus, Address, Email, Logo, LogoFormat, OneTimeToken, PartnerId, Profile,
    ProfileFields, ProfileName, TokenPurpose, Website, categories,
};
use portal::ports::DirectoryFilter;
use portal_e2e::{PNG, Stack, dynamodb_requests, one_query};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A whole JPEG (progressive, 16 × 8 pixels, made by Pillow): a logo must decode completely.
const JPEG: &[u8] = include_bytes!("../shared/src/domain/testdata/progressive.jpg");
const SVG: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;

fn input(name: &str) -> Value {
    json!({
        "name": name,
        "enterprise_number": "0123.456.749",
        "description": "Planning en communicatie voor scholen.",
        "contact_name": "Geheime Contactpersoon",
        "address": {"street": "Verborgenstraat 9", "postal_code": "9000", "city": "Gent", "country": "BE"},
        "public": true,
        "categories": ["communiceren"],
        "website": "https://www.voorbeeld.be",
        "extra_info": "Demo op aanvraag."
    })
}

async fn upload(stack: &Stack, token: &str, content_type: &str, bytes: Vec<u8>) -> portal_e2e::Answer {
    let request = stack.http.put(stack.url("/profile/logo")).bearer_auth(token).header("content-type", content_type);
    stack.send(request.body(bytes)).await
}

/// A partner with a profile made over HTTP: its token and profile.
async fn partner(stack: &Stack, email: &str, body: Value) -> (String, Value) {
    let token = stack.access_token(email).await;
    let created = stack.send(stack.http.post(stack.url("/profile")).bearer_auth(&token).json(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (token, created.body)
}

/// What an application's approval does to its partner's profile (the applications issue's write).
async fn set_approved(stack: &Stack, id: &str, approved: u32) {
    let store = &stack.local.deps.profiles;
    let before = store.profile(&PartnerId::parse(id).unwrap()).await.unwrap().unwrap();
    let after = Profile { approved_applications: approved, version: before.version + 1, ..before.clone() };
    let change = portal::domain::Change::ProfileUpdated {
        partner: after.id.clone(),
        by: portal::domain::INFORMAT.into(),
        at: chrono::Utc::now(),
        resubmitted: Vec::new(),
    };
    store.update_profile(&before, &after, &[], &change).await.unwrap();
}

#[tokio::test]
async fn logos_are_recognised_by_their_bytes_and_refused_otherwise() {
    let stack = Stack::start().await;
    let (token, profile) = partner(&stack, "logo@voorbeeld.be", input("Logo BV")).await;
    let slug = profile["slug"].as_str().unwrap();

    // SVG, whatever the header says; a GIF; a PNG cut short; an empty body.
    for (content_type, bytes) in [
        ("image/png", SVG.to_vec()),
        ("image/svg+xml", SVG.to_vec()),
        ("image/gif", b"GIF89a\x01\x00\x01\x00".to_vec()),
    ] {
        let answer = upload(&stack, &token, content_type, bytes).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(answer.problem_code(), "unsupported_logo_type");
    }
    let truncated = upload(&stack, &token, "image/png", PNG[..20].to_vec()).await;
    assert_eq!(truncated.problem_code(), "unsupported_logo_type");
    // More than 1 MiB: 413, even when it starts like a PNG.
    let mut big = PNG.to_vec();
    big.resize(1_048_577, 0);
    let answer = upload(&stack, &token, "image/png", big.clone()).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.problem_code(), "logo_too_large");
    // Nothing of that was stored or logged.
    let unchanged = stack.get("/profile", Some(&token)).await;
    assert_eq!(unchanged.body["logo_url"], Value::Null);
    assert_eq!(unchanged.body["version"], 1);
    let log = stack.get("/profile/logs", Some(&token)).await.body;
    assert_eq!(log["items"].as_array().unwrap().len(), 1, "only the profile's creation: {log}");

    // Exactly 1 MiB is allowed; a PNG sent as "application/octet-stream" is still a PNG.
    big.truncate(1_048_576);
    let first = upload(&stack, &token, "application/octet-stream", big.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first_url = first.body["logo_url"].as_str().unwrap().to_owned();
    assert!(first_url.starts_with(&format!("{}/partners/{slug}/logo?v=", stack.local.api_url)), "{first_url}");
    let served = stack.http.get(&first_url).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(served.bytes().await.unwrap().as_ref(), big.as_slice());
    let again = stack.http.get(&first_url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A JPEG replaces it: a new URL, the old image gone from the bucket, one log entry, a mail.
    stack.local.aws_requests.take();
    let second = upload(&stack, &token, "image/png", JPEG.to_vec()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    // The account; the image stored while the profile is read; the transaction; the mail while
    // the old image is removed: four round trips one after the other.
    let (requests, chain) = stack.local.aws_requests.take_with_chain();
    let expected = [
        ("DynamoDB.GetItem", 2),
        ("DynamoDB.TransactWriteItems", 1),
        ("S3.DeleteObject", 1),
        ("S3.PutObject", 1),
        ("SESv2.SendEmail", 1),
    ];
    assert_eq!(requests, expected.map(|(operation, n)| (operation.to_owned(), n)).into(), "what an upload sends");
    assert_eq!(chain, 4, "{requests:?}");
    let second_url = second.body["logo_url"].as_str().unwrap().to_owned();
    assert_ne!(second_url, first_url);
    let served = stack.http.get(&second_url).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let profile_now = stack.get("/profile", Some(&token)).await.body;
    assert_eq!(profile_now["logo_url"], second_url.as_str());
    let logs = stack.get("/profile/logs", Some(&token)).await.body;
    assert_eq!(logs["items"][0]["property"], "Logo");
    assert_eq!(logs["items"][0]["from"], first_url.as_str());
    assert_eq!(logs["items"][0]["to"], second_url.as_str());
    assert_eq!(logs["items"].as_array().unwrap().len(), 3, "the creation and two logos");
    let mails = stack.mails_to("logo@voorbeeld.be").await;
    assert!(mails.last().unwrap()["text"].as_str().unwrap().contains("Logo"));
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let objects = s3.list_objects_v2().bucket(&stack.local.resources.logo_bucket).send().await.unwrap();
    let keys: Vec<_> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with(".jpg"), "{keys:?}");

    // The partner is not listed: its old URL, the bare URL and a guessed version find nothing.
    for url in [first_url.clone(), format!("/partners/{slug}/logo"), format!("/partners/{slug}/logo?v=00")] {
        let url = url.replace(&stack.local.api_url, "");
        let answer = stack.get(&url, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(answer.problem_code(), "not_found");
    }
    // Uploading needs a partner session and a profile.
    let anonymous = stack.send(stack.http.put(stack.url("/profile/logo")).body(PNG.to_vec())).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let no_profile = stack.access_token("zonder@voorbeeld.be").await;
    assert_eq!(upload(&stack, &no_profile, "image/png", PNG.to_vec()).await.problem_code(), "profile_not_linked");
}

#[tokio::test]
async fn a_partner_is_listed_only_when_every_condition_holds_and_shows_only_public_fields() {
    let stack = Stack::start().await;
    let (token, profile) = partner(&stack, "lijst@voorbeeld.be", input("Zichtbaar NV")).await;
    let id = profile["id"].as_str().unwrap().to_owned();
    let slug = profile["slug"].as_str().unwrap().to_owned();
    let listed = |stack: &Stack| {
        let slug = slug.clone();
        let stack_url = stack.url(&format!("/partners/{slug}"));
        let http = stack.http.clone();
        async move { http.get(stack_url).send().await.unwrap().status() == StatusCode::OK }
    };

    // Approved but no logo: not listed.
    set_approved(&stack, &id, 1).await;
    assert!(!listed(&stack).await);
    let missing = stack.get(&format!("/partners/{slug}"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.problem_code(), "not_found");
    // A logo as well: listed.
    let logo = upload(&stack, &token, "image/png", PNG.to_vec()).await;
    assert!(listed(&stack).await);

    let public = stack.get(&format!("/partners/{slug}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.headers["cache-control"].to_str().unwrap().starts_with("public"));
    let keys: Vec<&str> = public.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["categories", "description", "extra_info", "logo_url", "name", "slug", "website"]);
    assert_eq!(public.body["name"], "Zichtbaar NV");
    assert_eq!(public.body["logo_url"], logo.body["logo_url"]);
    let text = public.body.to_string();
    for secret in ["lijst@voorbeeld.be", "Geheime Contactpersoon", "0123456749", "Verborgenstraat", "Gent", id.as_str()]
    {
        assert!(!text.contains(secret), "{secret} is public: {text}");
    }
    let list = stack.get("/partners", None).await;
    assert_eq!(list.body["items"], json!([public.body]));
    assert_eq!(list.body["next_cursor"], Value::Null);
    // Listed, the logo is served by its bare URL too (briefly cached: it may change).
    let bare = stack.http.get(stack.url(&format!("/partners/{slug}/logo"))).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::OK);
    assert_eq!(bare.headers()["cache-control"], "public, max-age=300");

    // Private: gone from the directory at once; public again: back.
    let mut private = input("Zichtbaar NV");
    private["public"] = json!(false);
    let put = |body: Value| stack.send(stack.http.put(stack.url("/profile")).bearer_auth(&token).json(&body));
    assert_eq!(put(private).await.status, StatusCode::OK);
    assert!(!listed(&stack).await);
    assert_eq!(stack.get("/partners", None).await.body["items"], json!([]));
    assert_eq!(put(input("Zichtbaar NV")).await.status, StatusCode::OK);
    assert!(listed(&stack).await);
    // A rename moves it in the directory and keeps its address.
    assert_eq!(put(input("Anders Genoemd NV")).await.status, StatusCode::OK);
    assert_eq!(stack.get("/partners", None).await.body["items"][0]["name"], "Anders Genoemd NV");
    // No approved application left: unlisted.
    set_approved(&stack, &id, 0).await;
    assert!(!listed(&stack).await);
    assert_eq!(stack.get("/partners", None).await.body["items"], json!([]));
}

/// Stores a profile straight through the store, with its account: for directories of many partners.
async fn seeded(stack: &Stack, name: &str, category: &str, listed: bool) -> Profile {
    let deps = &stack.local.deps;
    let account_id = AccountId::parse(&format!("seed-{}", PartnerId::new())).unwrap();
    let email = Email::parse("email", &format!("{account_id}@voorbeeld.be")).unwrap();
    let now = deps.clock.now();
    let account = Account {
        id: account_id.clone(),
        email: email.clone(),
        status: AccountStatus::Active,
        created_at: now,
        activated_at: Some(now),
        partner_id: None,
        terms: None,
        sessions_valid_from: None,
        reset_token: None,
    };
    let (_, token) = OneTimeToken::issue(TokenPurpose::Activation, account_id, email.clone(), now).unwrap();
    deps.accounts.create_account(&account, &token).await.unwrap();
    let name = ProfileName::parse(name).unwrap();
    let profile = Profile {
        id: PartnerId::new(),
        slug: name.slug(),
        email,
        active: true,
        logo: Some(Logo::new(LogoFormat::Png).unwrap()),
        approved_applications: u32::from(listed),
        fields: ProfileFields {
            description: format!("{} maakt software voor scholen.", name.as_str()),
            name,
            enterprise_number: None,
            contact_name: "Contact".into(),
            address: Address::parse("Straat 1", "1000", "Brussel", "BE").unwrap(),
            public: true,
            categories: categories(&[category.to_owned()]).unwrap(),
            website: Website::parse("https://voorbeeld.be").unwrap(),
            extra_info: None,
        },
        created_at: now,
        updated_at: now,
        version: 1,
    };
    assert_eq!(
        deps.profiles
            .create_profile(
                &profile,
                &account,
                &[],
                &portal::domain::Change::ProfileCreated { partner: profile.id.clone(), by: "seed".into(), at: now }
            )
            .await
            .unwrap(),
        portal::ports::ProfileCreated::Yes
    );
    profile
}

#[tokio::test]
async fn the_directory_is_ordered_filtered_and_paged_at_one_query_per_page() {
    let stack = Stack::start().await;
    // 24 listed partners (named out of order, one with an accent), 6 that are not listed.
    let mut expected = Vec::new();
    for n in 0..24 {
        let name = if n == 7 { "École Zeven".to_owned() } else { format!("Partner {:02}", (n * 7) % 24) };
        let category = if n % 3 == 0 { "hrm" } else { "communiceren" };
        expected.push(seeded(&stack, &name, category, true).await);
    }
    for n in 0..6 {
        seeded(&stack, &format!("Verborgen {n}"), "hrm", false).await;
    }
    expected.sort_by_key(|p| portal::domain::search_text(p.fields.name.as_str()));
    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };

    // Three pages of 10, 10 and 4, in name order, then no cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/partners?limit=10".to_owned(),
            Some(c) => format!("/partners?limit=10&cursor={c}"),
        };
        let page = stack.get(&path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(names(&page.body));
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let wanted: Vec<String> = expected.iter().map(|p| p.fields.name.to_string()).collect();
    assert_eq!(seen, wanted);
    assert_eq!(seen[0], "École Zeven", "an accent sorts with its letter: before \"Partner\", not after \"Z\"");

    // Filters: by category, by words (folded, all of them), and both.
    let hrm = stack.get("/partners?category=hrm", None).await;
    assert_eq!(names(&hrm.body).len(), 8);
    let ecole = stack.get("/partners?q=ECOLE%20zeven", None).await;
    assert_eq!(names(&ecole.body), ["École Zeven"]);
    let by_description = stack.get("/partners?q=software%20scholen&category=hrm&limit=5", None).await;
    assert_eq!(names(&by_description.body).len(), 5);
    let rest = stack
        .get(
            &format!(
                "/partners?q=software%20scholen&category=hrm&limit=5&cursor={}",
                by_description.body["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(names(&rest.body).len(), 3);
    assert_eq!(rest.body["next_cursor"], Value::Null);

    // What a page costs: the stack counts its handlers' requests.
    let (store, requests) = (&stack.local.deps.profiles, &stack.local.aws_requests);
    requests.take();
    let all = DirectoryFilter::default();
    let first = store.directory(&all, 10, None).await.unwrap();
    assert_eq!(dynamodb_requests(requests.take()), one_query(), "an unfiltered page is one Query");
    store.directory(&all, 10, first.next_cursor.as_deref()).await.unwrap();
    assert_eq!(dynamodb_requests(requests.take()), one_query(), "the next page is one Query too");
    let filtered = DirectoryFilter { category: Some(portal::domain::Category::parse("hrm").unwrap()), words: vec![] };
    assert_eq!(store.directory(&filtered, 50, None).await.unwrap().items.len(), 8);
    assert_eq!(
        dynamodb_requests(requests.take()),
        one_query(),
        "a filtered page reads up to 100 listed partners per Query"
    );
    // The longest chain of requests sent one after the other: two pages read together are one
    // step (one round trip's wait), read one after the other two.
    let (together, _) = tokio::join!(store.directory(&all, 10, None), store.directory(&filtered, 10, None));
    together.unwrap();
    let (counted, chain) = requests.take_with_chain();
    assert_eq!((counted["DynamoDB.Query"], chain), (2, 1), "{counted:?}");
    store.directory(&all, 10, None).await.unwrap();
    store.directory(&filtered, 10, None).await.unwrap();
    let (counted, chain) = requests.take_with_chain();
    assert_eq!((counted["DynamoDB.Query"], chain), (2, 2), "{counted:?}");

    // The same count over HTTP (GET /_local/aws-requests, api.md): a directory page is one Query,
    // and each call starts counting anew.
    stack.get("/_local/aws-requests", None).await;
    assert_eq!(stack.get("/partners?limit=5", None).await.status, StatusCode::OK);
    let counted = stack.get("/_local/aws-requests", None).await;
    assert_eq!(counted.status, StatusCode::OK, "{}", counted.body);
    assert_eq!(counted.body, serde_json::json!({"DynamoDB.Query": 1}));
    assert_eq!(stack.get("/_local/aws-requests", None).await.body, serde_json::json!({}));
}

#[tokio::test]
async fn directory_input_is_checked() {
    let stack = Stack::start().await;
    for (path, code) in [
        ("/partners?category=spelletjes", "validation_failed"),
        ("/partners?limit=0", "validation_failed"),
        ("/partners?cursor=bm9wZQ", "invalid_request"),
        ("/partners?cursor=%25%25", "invalid_request"),
    ] {
        let answer = stack.get(path, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {}", answer.body);
        assert_eq!(answer.problem_code(), code, "{path}");
    }
    for path in ["/partners/bestaat-niet", "/partners/Hoofd%20Letters", "/partners/bestaat-niet/logo"] {
        let answer = stack.get(path, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.problem_code(), "not_found");
    }
    let empty = stack.get("/partners", None).await;
    assert_eq!(empty.body, json!({"items": [], "next_cursor": null}));
}
