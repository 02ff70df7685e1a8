//! What reaches the portal at all (issue 14, items 1, 2 and 12): users cannot raise their own
//! rights through Cognito's API, the staff pool takes no self sign-up, CORS allows only the front
//! end's origins, and every answer carries the headers of api.md's conventions.
#![allow(clippy::unwrap_used)]

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use base64::Engine as _;
use portal_e2e::{BACKOFFICE_URL, PASSWORD, PORTAL_URL, Stack, application_input};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn cognito(stack: &Stack) -> aws_sdk_cognitoidentityprovider::Client {
    let sdk = portal::adapters::aws::for_emulator(&stack.local.aws_endpoint, &stack.local.resources.region).await;
    aws_sdk_cognitoidentityprovider::Client::new(&sdk)
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

/// The error code of a refused Cognito call.
fn refused<T, E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    match result {
        Ok(_) => panic!("Cognito accepted the call"),
        Err(e) => e.code().unwrap_or_default().to_owned(),
    }
}

/// The ID token of a staff user signing in with the staff pool's client, or the error code.
async fn staff_sign_in(
    stack: &Stack,
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    email: &str,
) -> Result<String, String> {
    let auth = cognito
        .initiate_auth()
        .client_id(&stack.local.resources.staff_client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .map_err(|e| e.code().unwrap_or_default().to_owned())?;
    Ok(auth.authentication_result().unwrap().id_token().unwrap().to_owned())
}

/// The claims of a JWT (not verified: the stack's authorizer does that).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn school_rights_come_from_informats_identity_provider_only() {
    let stack = Stack::start().await;
    // An application with access at school 012345, granted by that school's administrator.
    let (partner, _) = stack.partner("partner@voorbeeld.be", "Planner BV").await;
    let created =
        stack.call("POST", "/applications", &partner, Some(application_input("Lessenplanner", &["leerlingen"]))).await;
    let app = created.body["id"].as_str().unwrap().to_owned();
    let moderator = stack.staff_token("moderator@informat.be", &["moderators"]).await;
    let approved = stack.call("POST", &format!("/admin/applications/{app}/approve"), &moderator, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let asked = stack
        .call(
            "POST",
            &format!("/applications/{app}/access-requests"),
            &partner,
            Some(json!({"emails": "directie@school.be"})),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let link = stack.access_link("directie@school.be").await;
    let school_admin = stack.admin_token("directie@school.be", "leerlingen:012345").await;
    let grant = json!({"institution": "012345", "apis": ["leerlingen"]});
    let granted = stack.call("POST", &format!("/access-requests/{link}/grant"), &school_admin, Some(grant)).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);

    // A staff pool user with school rights in its own attributes (set by an administrator of
    // the pool, or by itself if the client allowed it) is no school administrator: the school
    // routes trust Informat's identity provider only (issue 22).
    let email = "beheer@andereschool.be";
    let created = stack.post("/_local/staff-users", json!({"email": email, "password": PASSWORD, "groups": []})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let access_token = created.body["access_token"].as_str().unwrap();
    let cognito = cognito(&stack).await;
    // The attack: its own access token, Cognito's UpdateUserAttributes, another school's rights
    // or another address.
    for (name, value) in
        [("custom:admin_scopes", "leerlingen:012345 personeel:012345"), ("email", "directie@school.be")]
    {
        let update =
            cognito.update_user_attributes().access_token(access_token).user_attributes(attribute(name, value));
        assert_eq!(refused(update.send().await), "NotAuthorizedException", "{name}");
    }
    // What the client may write still works: the refusal is about the attribute.
    cognito
        .update_user_attributes()
        .access_token(access_token)
        .user_attributes(attribute("locale", "nl-BE"))
        .send()
        .await
        .unwrap();
    // Even with the rights written into the pool by its administrator, its ID token opens no
    // school route: the gateway's authorizer refuses another issuer (401).
    cognito
        .admin_update_user_attributes()
        .user_pool_id(&stack.local.resources.staff_user_pool_id)
        .username(email)
        .user_attributes(attribute("custom:admin_scopes", "leerlingen:012345"))
        .send()
        .await
        .unwrap();
    let id_token = staff_sign_in(&stack, &cognito, email).await.unwrap();
    let id_token = id_token.as_str();
    assert_eq!(claims(id_token)["custom:admin_scopes"], "leerlingen:012345");
    let change = format!("/schools/012345/applications/{app}/access");
    for (method, path, body) in [
        ("GET", "/schools/012345/applications".to_owned(), None),
        ("PUT", change.clone(), Some(json!({"apis": []}))),
        ("GET", format!("/access-requests/{link}"), None),
    ] {
        let answer = stack.call(method, &path, id_token, body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path} took a staff pool token: {}", answer.body);
    }
    // Nor does a moderator's, and an administrator's token of Informat opens no moderator route.
    for path in ["/schools/012345/applications".to_owned(), format!("/access-requests/{link}")] {
        assert_eq!(stack.get(&path, Some(&moderator)).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(stack.get("/admin/applications", Some(&school_admin)).await.status, StatusCode::UNAUTHORIZED);

    // An administrator of Informat with rights at another school only: not here.
    let other = stack.admin_token("beheer@andereschool.be", "leerlingen:77777").await;
    // It cannot rewrite its own token's rights: the signature no longer holds (401).
    let mut parts: Vec<String> = other.split('.').map(str::to_owned).collect();
    let mut forged = claims(&other);
    forged["informat_admin_scopes"] = json!("leerlingen:012345 personeel:012345");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let forged = parts.join(".");
    let answer = stack.call("GET", "/schools/012345/applications", &forged, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "a token with rewritten rights: {}", answer.body);
    let listed = stack.call("GET", "/schools/012345/applications", &other, None).await;
    assert_eq!(listed.problem_code(), "not_school_admin");
    let taken = stack.call("PUT", &change, &other, Some(json!({"apis": []}))).await;
    assert_eq!(taken.problem_code(), "not_school_admin");
    // The school's own administrator can: the route answers 200 to the right rights.
    let kept = stack.call("PUT", &change, &school_admin, Some(json!({"apis": ["leerlingen"]}))).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    let own = stack.call("GET", "/schools/77777/applications", &other, None).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}

#[tokio::test]
async fn a_partner_cannot_take_another_address_through_cognito() {
    let stack = Stack::start().await;
    let token = stack.access_token("eigenaar@partner.be").await;
    let cognito = cognito(&stack).await;
    let update = cognito
        .update_user_attributes()
        .access_token(&token)
        .user_attributes(attribute("email", "nog-niet-geregistreerd@partner.be"));
    assert_eq!(refused(update.send().await), "NotAuthorizedException");

    // The account keeps its address; the other address can still register and sign in as itself.
    let me = stack.get("/me", Some(&token)).await;
    assert_eq!(me.body["email"], "eigenaar@partner.be");
    let again = stack.sign_in("eigenaar@partner.be", PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(stack.sign_in("nog-niet-geregistreerd@partner.be", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_staff_pool_takes_no_self_sign_up() {
    let stack = Stack::start().await;
    let cognito = cognito(&stack).await;
    let sign_up = cognito
        .sign_up()
        .client_id(&stack.local.resources.staff_client_id)
        .username("indringer@voorbeeld.be")
        .password(PASSWORD);
    assert_eq!(refused(sign_up.send().await), "NotAuthorizedException");
    assert!(staff_sign_in(&stack, &cognito, "indringer@voorbeeld.be").await.is_err(), "the user was made");
}

#[tokio::test]
async fn cors_allows_exactly_the_front_ends_origins() {
    let stack = Stack::start().await;
    let from = |origin: &str| stack.http.get(stack.url("/categories")).header("origin", origin);
    for origin in [PORTAL_URL, BACKOFFICE_URL] {
        let answer = stack.send(from(origin)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["access-control-allow-origin"], origin);
    }
    for origin in ["null", "http://kwaadaardig.test", "http://portal.test:8080", "https://portal.test", "file://"] {
        let answer = stack.send(from(origin)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers.get("access-control-allow-origin").is_none(), "{origin} was allowed");
    }

    // The preflight: the template's methods and headers for the front end, nothing for others.
    let preflight = |origin: &str| {
        stack
            .http
            .request(reqwest::Method::OPTIONS, stack.url("/profile"))
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "authorization,content-type")
    };
    let allowed = stack.send(preflight(PORTAL_URL)).await;
    assert_eq!(allowed.status, StatusCode::NO_CONTENT);
    assert_eq!(allowed.headers["access-control-allow-origin"], PORTAL_URL);
    assert!(allowed.headers["access-control-allow-methods"].to_str().unwrap().contains("PUT"));
    assert_eq!(allowed.headers["access-control-allow-headers"], "authorization,content-type");
    let other = stack.send(preflight("null")).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    assert!(other.headers.get("access-control-allow-methods").is_none());
}

#[tokio::test]
async fn every_answer_says_nosniff_and_authenticated_ones_are_not_stored() {
    let stack = Stack::start().await;
    let token = stack.access_token("headers@partner.be").await;
    let nosniff = |answer: &portal_e2e::Answer, what: &str| {
        assert_eq!(
            answer.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{what}: {}",
            answer.status
        );
    };

    // The gateway's own answers: no token, no route, too large.
    let unauthorized = stack.get("/me", None).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    nosniff(&unauthorized, "401 of the authorizer");
    let bad_token = stack.get("/me", Some("niet.een.token")).await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    nosniff(&bad_token, "401 for a bad token");
    assert_eq!(bad_token.headers["cache-control"], "no-store");
    let no_route = stack.get("/bestaat-niet", None).await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    nosniff(&no_route, "404 without a route");
    let huge = vec![0_u8; 10 * 1024 * 1024 + 1];
    let too_large = stack.send(stack.http.put(stack.url("/profile/logo")).bearer_auth(&token).body(huge)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    nosniff(&too_large, "413 of the gateway");

    // A public answer keeps its own caching; an authenticated one is never stored.
    let public = stack.get("/categories", None).await;
    assert_eq!(public.status, StatusCode::OK);
    nosniff(&public, "public answer");
    let me = stack.get("/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    nosniff(&me, "authenticated answer");
    assert_eq!(me.headers["cache-control"], "no-store");
    let missing = stack.get("/profile", Some(&token)).await;
    assert_eq!(missing.problem_code(), "profile_not_linked");
    nosniff(&missing, "authenticated problem");
    assert_eq!(missing.headers["cache-control"], "no-store");
}
