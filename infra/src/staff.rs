//! Back-office users for people and tests on the local stack:
//! - `POST /_local/staff-users`: a user of the staff pool (an Informat moderator, with the group
//!   `moderators`), signed in;
//! - `POST /_local/school-admins`: a school administrator at the stand-in for Informat's
//!   identity provider, with its institution rights, signed in through the provider's
//!   authorization code flow (PKCE), as the back office does.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::state::{AppState, local_problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffUser {
    email: String,
    password: String,
    #[serde(default)]
    groups: Vec<String>,
}

pub async fn create_staff_user(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<StaffUser>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(user)) = body else {
        return local_problem(
            StatusCode::BAD_REQUEST,
            "Stuur {\"email\", \"password\", \"groups\": [\"moderators\"]}.",
        );
    };
    match create(&state, &user).await {
        Ok((id_token, access_token)) => {
            (StatusCode::CREATED, axum::Json(json!({ "id_token": id_token, "access_token": access_token })))
                .into_response()
        }
        Err(detail) => local_problem(StatusCode::BAD_REQUEST, &detail),
    }
}

async fn create(state: &AppState, user: &StaffUser) -> Result<(String, String), String> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&state.sdk);
    let pool = &state.resources.staff_user_pool_id;
    let attr =
        |name: &str, value: &str| AttributeType::builder().name(name).value(value).build().map_err(|e| e.to_string());
    let request = cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(&user.email)
        .message_action(MessageActionType::Suppress)
        .user_attributes(attr("email", &user.email)?);
    let describe = |e: &dyn std::fmt::Display| e.to_string();
    request.send().await.map_err(|e| describe(&DisplayErrorContext(&e)))?;
    cognito
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(&user.email)
        .password(&user.password)
        .permanent(true)
        .send()
        .await
        .map_err(|e| describe(&DisplayErrorContext(&e)))?;
    for group in &user.groups {
        cognito
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(&user.email)
            .group_name(group)
            .send()
            .await
            .map_err(|e| describe(&DisplayErrorContext(&e)))?;
    }
    let auth = cognito
        .initiate_auth()
        .client_id(&state.resources.staff_client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &user.email)
        .auth_parameters("PASSWORD", &user.password)
        .send()
        .await
        .map_err(|e| describe(&DisplayErrorContext(&e)))?;
    let result = auth.authentication_result().ok_or("the staff pool returned no tokens")?;
    Ok((result.id_token().unwrap_or_default().to_owned(), result.access_token().unwrap_or_default().to_owned()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolAdmin {
    /// Its username at Informat; the e-mail address when absent.
    #[serde(default)]
    username: Option<String>,
    email: String,
    password: String,
    /// `<api>:<instellingsnummer>` each, space-separated: what its ID token's rights claim says.
    #[serde(default)]
    rights: String,
}

pub async fn create_school_admin(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<SchoolAdmin>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(admin)) = body else {
        return local_problem(
            StatusCode::BAD_REQUEST,
            "Stuur {\"username\", \"email\", \"password\", \"rights\": \"leerlingen:012345 ...\"}.",
        );
    };
    let username = admin.username.clone().unwrap_or_else(|| admin.email.clone());
    let informat = &state.informat;
    if let Err(e) = informat.add_user(&username, &admin.password, &admin.email, &admin.rights).await {
        return local_problem(StatusCode::BAD_REQUEST, &e.to_string());
    }
    let redirect = format!("{}{}", state.deps.config.backoffice_url, crate::idp::REDIRECT_PATH);
    match informat.sign_in(&redirect, &username, &admin.password).await {
        Ok(id_token) => {
            (StatusCode::CREATED, axum::Json(json!({ "username": username, "id_token": id_token }))).into_response()
        }
        Err(e) => local_problem(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}
