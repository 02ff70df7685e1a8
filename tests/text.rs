//! What text and images the portal takes, over HTTP (issue 14, items 10 and 11; api.md
//! conventions and ProfileInput): look-alike and invisible names, invisible and steering
//! characters in every text field, and logos that must decode completely.
#![allow(clippy::unwrap_used)]

use portal_e2e::{Answer, PNG, Stack, application_input, profile_input};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The one error of a 400 `validation_failed` answer that names `field`.
fn field_error(answer: &Answer, field: &str) -> Value {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{field}: {}", answer.body);
    assert_eq!(answer.problem_code(), "validation_failed");
    let errors = answer.body["errors"].as_array().unwrap();
    errors.iter().find(|e| e["field"] == field).cloned().unwrap_or_else(|| panic!("{field}: {errors:?}"))
}

async fn create_profile(stack: &Stack, token: &str, name: &str) -> Answer {
    stack.call("POST", "/profile", token, Some(profile_input(name))).await
}

#[tokio::test]
async fn look_alike_and_invisible_names_do_not_make_a_new_name() {
    let stack = Stack::start().await;
    stack.partner("eerste@voorbeeld.be", "Partner").await;
    stack.partner("cafe@voorbeeld.be", "Café Planner").await;
    let token = stack.access_token("namaker@voorbeeld.be").await;

    // Letters that look the same are the same name: 409 with the name as it was sent.
    for (what, name) in [
        ("a Cyrillic Р", "\u{420}artner"),
        ("a full-width Ｐ", "\u{FF30}artner"),
        ("a combining accent", "Cafe\u{301} Planner"),
        ("capitals and spaces", "  PARTNER "),
        ("Latin small capitals", "\u{1D18}\u{1D00}\u{280}\u{1D1B}\u{274}\u{1D07}\u{280}"),
        ("some small capitals", "Pᴀʀtner"),
    ] {
        let answer = create_profile(&stack, &token, name).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{what}: {}", answer.body);
        assert_eq!(answer.problem_code(), "profile_name_taken", "{what}");
    }
    // Invisible and steering characters are refused, and a name of nothing visible too.
    for (what, name) in [
        ("a zero-width space", "Part\u{200B}ner"),
        ("a soft hyphen", "Part\u{AD}ner"),
        ("a right-to-left override", "Partner\u{202E}"),
        ("only a zero-width space", "\u{200B}"),
    ] {
        let answer = create_profile(&stack, &token, name).await;
        let error = field_error(&answer, "name");
        assert_eq!(error["code"], "invalid_characters", "{what}: {error}");
        assert!(error["message"].as_str().unwrap().contains("onzichtbaar"), "{what}: {error}");
    }
    // A name that presents itself as Informat is refused with a clear message, look-alikes too.
    for name in ["Informat", "Informat Helpdesk", "INF0RMAT support", "ɪɴꜰᴏʀᴍᴀᴛ", "\u{406}nformat", "Ínformat"]
    {
        let answer = create_profile(&stack, &token, name).await;
        let error = field_error(&answer, "name");
        assert_eq!(error["code"], "reserved_name", "{name}: {error}");
        assert!(error["message"].as_str().unwrap().contains("Informat"), "{name}: {error}");
    }
    // None of that made a profile.
    assert_eq!(stack.get("/me", Some(&token)).await.body["profile"], Value::Null);

    // Names people use still work; a combining accent is stored composed.
    let created = create_profile(&stack, &token, "L'E\u{301}cole & Fils 2").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "L'École & Fils 2");
    assert_eq!(created.body["slug"], "l-ecole-fils-2");
    for (email, name) in [("een@voorbeeld.be", "Één École Ærø"), ("nl@voorbeeld.be", "Vandenbroucke-D'Hondt BV")] {
        let answer = stack.call("POST", "/profile", &stack.access_token(email).await, Some(profile_input(name))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{name}: {}", answer.body);
    }

    // Renaming to a look-alike of another partner's name is the same conflict.
    let mut rename = profile_input("P\u{430}rtner");
    rename["version"] = created.body["version"].clone();
    let answer = stack.call("PUT", "/profile", &token, Some(rename)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.problem_code(), "profile_name_taken");
    // Nor can a profile be renamed to Informat; a word that only begins like it is a name.
    let mut rename = profile_input("Informat Helpdesk");
    rename["version"] = created.body["version"].clone();
    assert_eq!(
        field_error(&stack.call("PUT", "/profile", &token, Some(rename)).await, "name")["code"],
        "reserved_name"
    );
    let mut rename = profile_input("Informatica Peeters");
    rename["version"] = created.body["version"].clone();
    let answer = stack.call("PUT", "/profile", &token, Some(rename)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn every_text_field_refuses_invisible_and_steering_characters() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("velden@voorbeeld.be", "Velden BV").await;
    let hidden = "Tekst\u{200B}met\u{202E}verborgen";

    // The profile: every free-text field, and the website.
    for (field, path) in [
        ("description", "/description"),
        ("contact_name", "/contact_name"),
        ("extra_info", "/extra_info"),
        ("address.street", "/address/street"),
        ("address.postal_code", "/address/postal_code"),
        ("address.city", "/address/city"),
        ("website", "/website"),
    ] {
        let mut input = profile_input("Velden BV");
        let value = if field == "website" { "https://www.voor\u{AD}beeld.be".to_owned() } else { hidden.to_owned() };
        match input.pointer_mut(path) {
            Some(slot) => *slot = json!(value),
            None => input[&path[1..]] = json!(value),
        }
        let answer = stack.call("PUT", "/profile", &token, Some(input)).await;
        assert_eq!(field_error(&answer, field)["code"], "invalid_characters", "{field}");
    }

    // An application: its name, description, contact and the contact's address.
    for field in ["name", "description", "contact_name", "contact_email"] {
        let mut input = application_input("Lessenplanner", &["leerlingen"]);
        input[field] = json!(if field == "contact_email" { "tom\u{200B}@ontwikkelaar.be" } else { hidden });
        let answer = stack.call("POST", "/applications", &token, Some(input)).await;
        assert_eq!(field_error(&answer, field)["code"], "invalid_characters", "{field}");
    }
    // The addresses of an access request (read before the application is looked up).
    let path = "/applications/00000000-0000-4000-8000-000000000000/access-requests";
    let answer = stack
        .call("POST", path, &token, Some(json!({"emails": "directie@school.be; di\u{FEFF}rectie@school.be"})))
        .await;
    assert_eq!(field_error(&answer, "emails")["code"], "invalid_characters");
    // A moderator's reason for a rejection.
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let path = "/admin/applications/00000000-0000-4000-8000-000000000000/reject";
    let answer = stack.call("POST", path, &moderator, Some(json!({"reason": "Onvolledig\u{2066} dossier"}))).await;
    assert_eq!(field_error(&answer, "reason")["code"], "invalid_characters");

    // What people write still goes through: accents, line breaks, tabs, emoji with their
    // presentation selectors and joiners.
    let mut input = profile_input("Velden BV");
    input["description"] = json!("Één app voor élke school.\n\nOok voor \"Ærø\" & co.\t✔\u{FE0F} 👩\u{200D}💻 🇧🇪");
    input["contact_name"] = json!("Anne-Marie D'Hondt");
    let answer = stack.call("PUT", "/profile", &token, Some(input.clone())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["description"], input["description"]);
    let app = stack.call("POST", "/applications", &token, Some(application_input("Plänner 👍", &["leerlingen"]))).await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.body);
}

async fn upload(stack: &Stack, token: &str, bytes: Vec<u8>) -> Answer {
    stack
        .send(
            stack
                .http
                .put(stack.url("/profile/logo"))
                .bearer_auth(token)
                .header("content-type", "image/png")
                .body(bytes),
        )
        .await
}

/// Made by Pillow 13 (libjpeg, libwebp): a progressive JPEG and a lossy WebP of 16 × 8 pixels.
const JPEG: &[u8] = include_bytes!("../shared/src/domain/testdata/progressive.jpg");
const WEBP: &[u8] = include_bytes!("../shared/src/domain/testdata/lossy.webp");

#[tokio::test]
async fn a_logo_must_decode_completely() {
    let stack = Stack::start().await;
    let (token, _) = stack.partner("logo@voorbeeld.be", "Logo BV").await;

    // The review's upload: a PNG signature followed by a script. Before, its "header" was read
    // as a size and the bytes were stored.
    let mut script = b"\x89PNG\r\n\x1a\n".to_vec();
    script.extend_from_slice(b"<script>alert(document.domain)</script>");
    // A real PNG header with garbage where the pixels should be, and a JPEG cut short.
    let mut garbage = PNG[..33].to_vec();
    garbage.extend_from_slice(b"\x00\x00\x00\x10IDAT<script></script>\x00\x00\x00\x00");
    let cut = JPEG[..JPEG.len() - 60].to_vec();
    for (what, bytes) in [("script", script), ("garbage", garbage), ("cut", cut)] {
        let answer = upload(&stack, &token, bytes).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{what}: {}", answer.body);
        assert_eq!(answer.problem_code(), "unsupported_logo_type", "{what}");
    }
    let profile = stack.get("/profile", Some(&token)).await;
    assert_eq!(profile.body["logo_url"], Value::Null);
    assert_eq!(profile.body["version"], 1);

    // Whole images of the three formats are stored and served with their type.
    for (bytes, content_type) in [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")] {
        let answer = upload(&stack, &token, bytes.to_vec()).await;
        assert_eq!(answer.status, StatusCode::OK, "{content_type}: {}", answer.body);
        let served = stack.http.get(answer.body["logo_url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(served.headers()["content-type"], content_type);
        assert_eq!(served.bytes().await.unwrap().as_ref(), bytes);
    }
}
