//! `POST /_local/staff-users`: a back-office user in the staff pool, signed in. In production
//! this pool is federated with Informat's identity provider; locally people and tests need users.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::server::{AppState, local_problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffUser {
    email: String,
    password: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    admin_scopes: String,
}

pub async fn create_staff_user(
    State(state): State<Arc<AppState>>,
    body: Result<axum::Json<StaffUser>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(user)) = body else {
        return local_problem(
            StatusCode::BAD_REQUEST,
            "Stuur {\"email\", \"password\", \"groups\": [..], \"admin_scopes\": \"leerlingen:012345 ...\"}.",
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
    let mut request = cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(&user.email)
        .message_action(MessageActionType::Suppress)
        .user_attributes(attr("email", &user.email)?);
    if !user.admin_scopes.trim().is_empty() {
        request = request.user_attributes(attr("custom:admin_scopes", user.admin_scopes.trim())?);
    }
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
