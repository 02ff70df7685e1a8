//! What every end-to-end test needs: a private local stack (its own emulator on its own port,
//! its own resources) and a client that speaks to it over HTTP, as the front end does.
#![allow(clippy::unwrap_used)] // Test support: a failed expectation should stop the test loudly.

use std::collections::BTreeMap;

use portal_local::{LocalStack, Options};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const PASSWORD: &str = "Sterk!Wachtw00rd";
pub const PORTAL_URL: &str = "http://portal.test";
pub const BACKOFFICE_URL: &str = "http://backoffice.test";

/// A 1×1 PNG: the smallest real logo.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub struct Stack {
    pub local: LocalStack,
    pub http: reqwest::Client,
}

/// An answer: status, headers and the body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `code` of a problem answer, after checking that it is `application/problem+json`.
    pub fn problem_code(&self) -> &str {
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(content_type, "application/problem+json", "not a problem answer: {} {}", self.status, self.body);
        assert_eq!(
            self.body["status"].as_u64(),
            Some(u64::from(self.status.as_u16())),
            "status in body: {}",
            self.body
        );
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "no detail: {}", self.body);
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl Stack {
    /// Starts a stack with a private emulator. Fails loudly when it cannot: never skips.
    pub async fn start() -> Self {
        let options = Options {
            port: 0,
            aws_endpoint: None,
            portal_url: PORTAL_URL.into(),
            backoffice_url: BACKOFFICE_URL.into(),
        };
        let local = LocalStack::start(options).await.unwrap_or_else(|e| {
            panic!("the local stack must start for end-to-end tests (is moto_server installed?): {e}")
        });
        Self { local, http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.local.api_url)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, headers, body }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// Every mail sent to `to`, oldest first, read from `GET /_local/mails`.
    pub async fn mails_to(&self, to: &str) -> Vec<Value> {
        let answer = self.get("/_local/mails", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["to"].as_array().unwrap().iter().any(|t| t == to))
            .cloned()
            .collect()
    }

    /// What follows `prefix` in the newest mail to `to` whose text holds it, up to white space.
    async fn newest_link_after(&self, to: &str, prefix: &str) -> String {
        let mails = self.mails_to(to).await;
        let mail = mails
            .iter()
            .rev()
            .find(|m| m["text"].as_str().unwrap().contains(prefix))
            .unwrap_or_else(|| panic!("no mail with {prefix} to {to}: {mails:?}"));
        let text = mail["text"].as_str().unwrap();
        let start = text.find(prefix).unwrap() + prefix.len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// The token of the newest link to `page` mailed to `to` (read from the text part).
    pub async fn link_token(&self, to: &str, page: &str) -> String {
        self.newest_link_after(to, &format!("{PORTAL_URL}/{page}?token=")).await
    }

    /// The token of the newest back-office link to `page` mailed to `to`.
    pub async fn backoffice_link_token(&self, to: &str, page: &str) -> String {
        self.newest_link_after(to, &format!("{BACKOFFICE_URL}/{page}?token=")).await
    }

    /// The application id and token of the newest contact confirmation link mailed to `to`.
    pub async fn contact_link(&self, to: &str) -> (String, String) {
        let link = self.newest_link_after(to, &format!("{PORTAL_URL}/contact-bevestigen?applicatie=")).await;
        let (app, token) = link.split_once("&token=").unwrap();
        (app.to_owned(), token.to_owned())
    }

    /// Confirms the application contact `to` with the newest link mailed to it, as its page does.
    pub async fn confirm_contact(&self, to: &str) {
        let (application_id, token) = self.contact_link(to).await;
        let answer =
            self.post("/contact-confirmations", json!({"application_id": application_id, "token": token})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    pub async fn register(&self, email: &str, password: &str) -> Answer {
        self.post("/accounts", json!({"email": email, "password": password, "accept_terms": true})).await
    }

    /// Registers and activates an account through its activation mail.
    pub async fn activated_account(&self, email: &str) {
        assert_eq!(self.register(email, PASSWORD).await.status, StatusCode::ACCEPTED);
        let token = self.link_token(email, "activeren").await;
        assert_eq!(self.post("/accounts/activate", json!({"token": token})).await.status, StatusCode::NO_CONTENT);
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Answer {
        self.post("/sessions", json!({"email": email, "password": password})).await
    }

    /// An access token of an activated account.
    pub async fn access_token(&self, email: &str) -> String {
        self.activated_account(email).await;
        let answer = self.sign_in(email, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    /// The ID token of a back-office user of the staff pool, in `groups`.
    pub async fn staff_token(&self, email: &str, groups: &[&str]) -> String {
        let answer =
            self.post("/_local/staff-users", json!({"email": email, "password": PASSWORD, "groups": groups})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id_token"].as_str().unwrap().to_owned()
    }

    /// The ID token of a school administrator at (the stand-in for) Informat's identity provider,
    /// with `admin_scopes` as its rights, signed in through the provider's code flow.
    pub async fn admin_token(&self, email: &str, admin_scopes: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD, "rights": admin_scopes});
        let answer = self.post("/_local/school-admins", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id_token"].as_str().unwrap().to_owned()
    }

    /// A request with a bearer token and, when given, a JSON body.
    pub async fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn advance_clock(&self, seconds: i64) {
        let answer = self.post("/_local/clock", json!({"advance_seconds": seconds})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    /// A partner with a profile: its access token and the profile.
    pub async fn partner(&self, email: &str, name: &str) -> (String, Value) {
        let token = self.access_token(email).await;
        let created = self.call("POST", "/profile", &token, Some(profile_input(name))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        (token, created.body)
    }

    /// The link token of the newest access request mailed to `to` (`<BACKOFFICE_URL>/toegang/<token>`).
    pub async fn access_link(&self, to: &str) -> String {
        let mails = self.mails_to(to).await;
        let text = mails.last().unwrap()["text"].as_str().unwrap();
        let prefix = format!("{BACKOFFICE_URL}/toegang/");
        let start = text.find(&prefix).unwrap() + prefix.len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// Loads an existing client as the import tool does (`POST /_local/legacy-clients`).
    pub async fn legacy_client(&self, body: Value) {
        let answer = self.post("/_local/legacy-clients", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
}

/// A valid ProfileInput named `name`.
pub fn profile_input(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Software voor scholen.",
        "contact_name": "An Peeters",
        "address": {"street": "Kerkstraat 1", "postal_code": "2000", "city": "Antwerpen", "country": "BE"},
        "public": true,
        "categories": ["communiceren"],
        "website": "https://www.voorbeeld.be"
    })
}

/// A valid ApplicationInput named `name` with `apis` checked.
pub fn application_input(name: &str, apis: &[&str]) -> Value {
    json!({
        "name": name,
        "description": "Plant lessen op basis van de leerlingenlijsten.",
        "contact_name": "Tom Ontwikkelaar",
        "contact_email": "tom@ontwikkelaar.be",
        "apis": apis
    })
}

/// The DynamoDB requests among those the stack counted (`LocalStack::aws_requests`).
pub fn dynamodb_requests(requests: BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    requests.into_iter().filter(|(operation, _)| operation.starts_with("DynamoDB.")).collect()
}

/// Exactly one DynamoDB Query, as [`dynamodb_requests`] gives it.
pub fn one_query() -> BTreeMap<String, usize> {
    [("DynamoDB.Query".to_owned(), 1)].into()
}
