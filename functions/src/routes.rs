//! The one list of routes: the local stack serves exactly these, and a test holds template.yaml
//! to the same list.

use lambda_http::{Body, Request, Response};
use portal::Deps;

/// Who may call a route: the API Gateway JWT authorizer in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No authorizer.
    Public,
    /// An access token of the partner user pool.
    Partner,
    /// An ID token of the staff (back-office) user pool.
    Staff,
}

/// One portal operation: one Lambda function, one binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateAccount,
    ActivateAccount,
    ForgotPassword,
    ResetPassword,
    CreateSession,
    RefreshSession,
    CreateStaffSession,
    RefreshStaffSession,
    GetMe,
    CreateProfile,
    GetProfile,
    UpdateProfile,
    GetProfileLogs,
    CreateInvitation,
    LinkProfile,
    ListProfileUsers,
    ListCategories,
    UploadLogo,
    ListPartners,
    GetPartner,
    GetPartnerLogo,
    ListApplications,
    VerifyClientCredentials,
    CreateApplication,
    GetApplication,
    UpdateApplication,
    CreateClientSecret,
    GetApplicationLogs,
    ListReviewQueue,
    GetAdminApplication,
    ApproveApplication,
    RejectApplication,
    ArchiveApplication,
    DeactivatePartner,
    ActivatePartner,
    UpdateApplicationJwks,
    CreateToken,
    GetJwks,
    GetAuthorizationServerMetadata,
    CreateAccessRequests,
    ListAccessRequests,
    GetApplicationAccess,
    GetAccessRequest,
    GrantAccess,
    ListSchoolApplications,
    UpdateSchoolAccess,
    GetAdminClient,
    RemoveBlockedScopes,
}

/// Functions that no route calls: the EventBridge schedule's (a binary each in `src/bin/`).
pub const SCHEDULED: &[&str] = &["expire_access_requests"];

impl Operation {
    /// The binary in `functions/src/bin/` (and the cargo-lambda `Binary` in template.yaml).
    pub fn binary(self) -> &'static str {
        match self {
            Self::CreateAccount => "create_account",
            Self::ActivateAccount => "activate_account",
            Self::ForgotPassword => "forgot_password",
            Self::ResetPassword => "reset_password",
            Self::CreateSession => "create_session",
            Self::RefreshSession => "refresh_session",
            Self::CreateStaffSession => "create_staff_session",
            Self::RefreshStaffSession => "refresh_staff_session",
            Self::GetMe => "get_me",
            Self::CreateProfile => "create_profile",
            Self::GetProfile => "get_profile",
            Self::UpdateProfile => "update_profile",
            Self::GetProfileLogs => "get_profile_logs",
            Self::CreateInvitation => "create_invitation",
            Self::LinkProfile => "link_profile",
            Self::ListProfileUsers => "list_profile_users",
            Self::ListCategories => "list_categories",
            Self::UploadLogo => "upload_logo",
            Self::ListPartners => "list_partners",
            Self::GetPartner => "get_partner",
            Self::GetPartnerLogo => "get_partner_logo",
            Self::ListApplications => "list_applications",
            Self::VerifyClientCredentials => "verify_client_credentials",
            Self::CreateApplication => "create_application",
            Self::GetApplication => "get_application",
            Self::UpdateApplication => "update_application",
            Self::CreateClientSecret => "create_client_secret",
            Self::GetApplicationLogs => "get_application_logs",
            Self::ListReviewQueue => "list_review_queue",
            Self::GetAdminApplication => "get_admin_application",
            Self::ApproveApplication => "approve_application",
            Self::RejectApplication => "reject_application",
            Self::ArchiveApplication => "archive_application",
            Self::DeactivatePartner => "deactivate_partner",
            Self::ActivatePartner => "activate_partner",
            Self::UpdateApplicationJwks => "update_application_jwks",
            Self::CreateToken => "create_token",
            Self::GetJwks => "get_jwks",
            Self::GetAuthorizationServerMetadata => "get_authorization_server_metadata",
            Self::CreateAccessRequests => "create_access_requests",
            Self::ListAccessRequests => "list_access_requests",
            Self::GetApplicationAccess => "get_application_access",
            Self::GetAccessRequest => "get_access_request",
            Self::GrantAccess => "grant_access",
            Self::ListSchoolApplications => "list_school_applications",
            Self::UpdateSchoolAccess => "update_school_access",
            Self::GetAdminClient => "get_admin_client",
            Self::RemoveBlockedScopes => "remove_blocked_scopes",
        }
    }

    /// The function's logical id in template.yaml: the binary in CamelCase plus `Function`.
    pub fn function_id(self) -> String {
        let camel: String = self
            .binary()
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        format!("{camel}Function")
    }

    pub async fn handle(self, deps: &Deps, req: Request) -> Response<Body> {
        use crate::{accounts, applications, clients, directory, oauth, profiles, schools};
        match self {
            Self::CreateAccount => accounts::create_account(deps, req).await,
            Self::ActivateAccount => accounts::activate_account(deps, req).await,
            Self::ForgotPassword => accounts::forgot_password(deps, req).await,
            Self::ResetPassword => accounts::reset_password(deps, req).await,
            Self::CreateSession => accounts::create_session(deps, req).await,
            Self::RefreshSession => accounts::refresh_session(deps, req).await,
            Self::CreateStaffSession => accounts::create_staff_session(deps, req).await,
            Self::RefreshStaffSession => accounts::refresh_staff_session(deps, req).await,
            Self::GetMe => accounts::get_me(deps, req).await,
            Self::CreateProfile => profiles::create_profile(deps, req).await,
            Self::GetProfile => profiles::get_profile(deps, req).await,
            Self::UpdateProfile => profiles::update_profile(deps, req).await,
            Self::GetProfileLogs => profiles::get_profile_logs(deps, req).await,
            Self::CreateInvitation => profiles::create_invitation(deps, req).await,
            Self::LinkProfile => profiles::link_profile(deps, req).await,
            Self::ListProfileUsers => profiles::list_profile_users(deps, req).await,
            Self::ListCategories => profiles::list_categories(deps, req).await,
            Self::UploadLogo => profiles::upload_logo(deps, req).await,
            Self::ListPartners => directory::list_partners(deps, req).await,
            Self::GetPartner => directory::get_partner(deps, req).await,
            Self::GetPartnerLogo => directory::get_partner_logo(deps, req).await,
            Self::ListApplications => applications::list_applications(deps, req).await,
            Self::VerifyClientCredentials => applications::verify_client_credentials(deps, req).await,
            Self::CreateApplication => applications::create_application(deps, req).await,
            Self::GetApplication => applications::get_application(deps, req).await,
            Self::UpdateApplication => applications::update_application(deps, req).await,
            Self::CreateClientSecret => applications::create_client_secret(deps, req).await,
            Self::GetApplicationLogs => applications::get_application_logs(deps, req).await,
            Self::ListReviewQueue => applications::list_review_queue(deps, req).await,
            Self::GetAdminApplication => applications::get_admin_application(deps, req).await,
            Self::ApproveApplication => applications::approve_application(deps, req).await,
            Self::RejectApplication => applications::reject_application(deps, req).await,
            Self::ArchiveApplication => applications::archive_application(deps, req).await,
            Self::DeactivatePartner => applications::deactivate_partner(deps, req).await,
            Self::ActivatePartner => applications::activate_partner(deps, req).await,
            Self::UpdateApplicationJwks => applications::update_application_jwks(deps, req).await,
            Self::CreateToken => oauth::create_token(deps, req).await,
            Self::GetJwks => oauth::get_jwks(deps, req).await,
            Self::GetAuthorizationServerMetadata => oauth::get_authorization_server_metadata(deps, req).await,
            Self::CreateAccessRequests => applications::create_access_requests(deps, req).await,
            Self::ListAccessRequests => applications::list_access_requests(deps, req).await,
            Self::GetApplicationAccess => applications::get_application_access(deps, req).await,
            Self::GetAccessRequest => schools::get_access_request(deps, req).await,
            Self::GrantAccess => schools::grant_access(deps, req).await,
            Self::ListSchoolApplications => schools::list_school_applications(deps, req).await,
            Self::UpdateSchoolAccess => schools::update_school_access(deps, req).await,
            Self::GetAdminClient => clients::get_admin_client(deps, req).await,
            Self::RemoveBlockedScopes => clients::remove_blocked_scopes(deps, req).await,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// The path in API Gateway syntax: `/applications/{id}`.
    pub path: &'static str,
    pub auth: Auth,
    pub operation: Operation,
}

const fn route(method: &'static str, path: &'static str, auth: Auth, operation: Operation) -> Route {
    Route { method, path, auth, operation }
}

pub const ROUTES: &[Route] = &[
    route("POST", "/accounts", Auth::Public, Operation::CreateAccount),
    route("POST", "/accounts/activate", Auth::Public, Operation::ActivateAccount),
    route("POST", "/accounts/forgot-password", Auth::Public, Operation::ForgotPassword),
    route("POST", "/accounts/reset-password", Auth::Public, Operation::ResetPassword),
    route("POST", "/sessions", Auth::Public, Operation::CreateSession),
    route("POST", "/sessions/refresh", Auth::Public, Operation::RefreshSession),
    route("POST", "/staff/sessions", Auth::Public, Operation::CreateStaffSession),
    route("POST", "/staff/sessions/refresh", Auth::Public, Operation::RefreshStaffSession),
    route("GET", "/me", Auth::Partner, Operation::GetMe),
    route("POST", "/profile", Auth::Partner, Operation::CreateProfile),
    route("GET", "/profile", Auth::Partner, Operation::GetProfile),
    route("PUT", "/profile", Auth::Partner, Operation::UpdateProfile),
    route("GET", "/profile/logs", Auth::Partner, Operation::GetProfileLogs),
    route("GET", "/profile/users", Auth::Partner, Operation::ListProfileUsers),
    route("POST", "/profile/invitations", Auth::Partner, Operation::CreateInvitation),
    route("POST", "/profile/link", Auth::Partner, Operation::LinkProfile),
    route("PUT", "/profile/logo", Auth::Partner, Operation::UploadLogo),
    route("GET", "/categories", Auth::Public, Operation::ListCategories),
    route("GET", "/partners", Auth::Public, Operation::ListPartners),
    route("GET", "/partners/{slug}", Auth::Public, Operation::GetPartner),
    route("GET", "/partners/{slug}/logo", Auth::Public, Operation::GetPartnerLogo),
    route("GET", "/applications", Auth::Partner, Operation::ListApplications),
    route("POST", "/client-credentials/verify", Auth::Partner, Operation::VerifyClientCredentials),
    route("POST", "/applications", Auth::Partner, Operation::CreateApplication),
    route("GET", "/applications/{id}", Auth::Partner, Operation::GetApplication),
    route("PUT", "/applications/{id}", Auth::Partner, Operation::UpdateApplication),
    route("POST", "/applications/{id}/secret", Auth::Partner, Operation::CreateClientSecret),
    route("PUT", "/applications/{id}/jwks", Auth::Partner, Operation::UpdateApplicationJwks),
    route("GET", "/applications/{id}/logs", Auth::Partner, Operation::GetApplicationLogs),
    route("GET", "/applications/{id}/access", Auth::Partner, Operation::GetApplicationAccess),
    route("POST", "/applications/{id}/access-requests", Auth::Partner, Operation::CreateAccessRequests),
    route("GET", "/applications/{id}/access-requests", Auth::Partner, Operation::ListAccessRequests),
    route("GET", "/admin/applications", Auth::Staff, Operation::ListReviewQueue),
    route("GET", "/admin/applications/{id}", Auth::Staff, Operation::GetAdminApplication),
    route("POST", "/admin/applications/{id}/approve", Auth::Staff, Operation::ApproveApplication),
    route("POST", "/admin/applications/{id}/reject", Auth::Staff, Operation::RejectApplication),
    route("POST", "/admin/applications/{id}/archive", Auth::Staff, Operation::ArchiveApplication),
    route("POST", "/admin/partners/{id}/deactivate", Auth::Staff, Operation::DeactivatePartner),
    route("POST", "/admin/partners/{id}/activate", Auth::Staff, Operation::ActivatePartner),
    route("GET", "/admin/clients/{client_id}", Auth::Staff, Operation::GetAdminClient),
    route("DELETE", "/admin/clients/{client_id}/blocked-scopes", Auth::Staff, Operation::RemoveBlockedScopes),
    route("GET", "/access-requests/{token}", Auth::Staff, Operation::GetAccessRequest),
    route("POST", "/access-requests/{token}/grant", Auth::Staff, Operation::GrantAccess),
    route("GET", "/schools/{institution}/applications", Auth::Staff, Operation::ListSchoolApplications),
    route("PUT", "/schools/{institution}/applications/{id}/access", Auth::Staff, Operation::UpdateSchoolAccess),
    route("POST", "/oauth2/token", Auth::Public, Operation::CreateToken),
    route("GET", "/.well-known/jwks.json", Auth::Public, Operation::GetJwks),
    route("GET", "/.well-known/oauth-authorization-server", Auth::Public, Operation::GetAuthorizationServerMetadata),
];

impl Route {
    /// Matches a request path against the route's template; the path parameters on success.
    pub fn matches(&self, method: &str, path: &str) -> Option<Vec<(String, String)>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let mut params = Vec::new();
        let mut template = self.path.trim_end_matches('/').split('/');
        let mut actual = path.trim_end_matches('/').split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return Some(params),
                (Some(t), Some(a)) if t.starts_with('{') && t.ends_with('}') && !a.is_empty() => {
                    params.push((t[1..t.len() - 1].to_owned(), a.to_owned()));
                }
                (Some(t), Some(a)) if t == a => {}
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn every_operation_has_one_route_and_a_binary() {
        let mut seen = HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "duplicate route {} {}", route.method, route.path);
            let bin =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin").join(format!("{}.rs", route.operation.binary()));
            assert!(bin.is_file(), "{} has no binary at {}", route.path, bin.display());
        }
        for name in SCHEDULED {
            let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin").join(format!("{name}.rs"));
            assert!(bin.is_file(), "the scheduled function {name} has no binary");
        }
        let bins = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin")).expect("src/bin").count();
        assert_eq!(bins, ROUTES.len() + SCHEDULED.len(), "a binary without a route, or a route without its binary");
    }

    #[test]
    fn function_ids_are_camel_case() {
        assert_eq!(Operation::CreateAccount.function_id(), "CreateAccountFunction");
        assert_eq!(Operation::GetMe.function_id(), "GetMeFunction");
    }

    #[test]
    fn matches_templates_and_extracts_parameters() {
        let r = route("GET", "/applications/{id}/logs", Auth::Partner, Operation::GetMe);
        assert_eq!(r.matches("GET", "/applications/abc/logs"), Some(vec![("id".into(), "abc".into())]));
        assert_eq!(r.matches("POST", "/applications/abc/logs"), None);
        assert_eq!(r.matches("GET", "/applications//logs"), None);
        assert_eq!(r.matches("GET", "/applications/abc"), None);
        let me = route("GET", "/me", Auth::Partner, Operation::GetMe);
        assert_eq!(me.matches("GET", "/me/"), Some(vec![]));
        assert_eq!(me.matches("GET", "/mee"), None);
    }
}
