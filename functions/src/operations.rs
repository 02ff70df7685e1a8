//! Every operation of the portal, declared once. The table below gives each operation its name
//! (the handler function, the `Handler` of its function in template.yaml and the sample event
//! in `events/`), its route and who may call it. From it follow the route list the local stack
//! serves ([`ROUTES`]), the dispatch ([`Operation::handle`]), the one Lambda binary's choice of
//! operation ([`Function::from_handler`]) and the template check (tests/routes.rs).

use lambda_http::{Body, Request, Response};
use portal::Deps;

/// Who may call a route: the API Gateway JWT authorizer in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No authorizer.
    Public,
    /// An access token of the partner user pool.
    Partner,
    /// An ID token of the staff (back-office) user pool: Informat's moderators.
    Staff,
    /// An ID token of Informat's identity provider: a school administrator (issue 22).
    SchoolAdmin,
}

/// The table: `Operation => module::handler: METHOD "/path", Auth;` for each route, then the
/// functions that EventBridge invokes on a schedule. A handler's module has the name of the
/// module of `portal` that holds its operation's logic (`access::grant_access` calls
/// `portal::operations::access`).
macro_rules! operations {
    (
        http { $($op:ident => $module:ident :: $handler:ident : $method:ident $path:literal, $auth:ident;)* }
        scheduled { $($job:ident => $job_module:ident :: $job_handler:ident;)* }
    ) => {
        /// One portal operation behind a route: one Lambda function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation { $($op,)* }

        /// A function that EventBridge invokes on a schedule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Scheduled { $($job,)* }

        /// Every route, in the table's order.
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            auth: Auth::$auth,
            operation: Operation::$op,
        },)*];

        /// Every scheduled function.
        pub const SCHEDULED: &[Scheduled] = &[$(Scheduled::$job,)*];

        impl Operation {
            /// The operation's name: its handler, and its function's `Handler` in template.yaml.
            pub fn name(self) -> &'static str {
                match self { $(Self::$op => stringify!($handler),)* }
            }

            /// Runs the operation's handler, and turns its result into the response: the one
            /// place a handler's error becomes problem+json and the outcome is logged.
            pub async fn handle(self, deps: &Deps, req: Request) -> Response<Body> {
                // Only what came through the distribution (its WAF, its headers) is served.
                if !portal::http::through_distribution(&req, deps.config.origin_verify_secret.as_ref()) {
                    tracing::warn!(outcome = "refused", code = "not_through_distribution", "a request without the distribution's X-Origin-Verify");
                    return portal::http::not_through_distribution();
                }
                portal::http::respond(match self { $(Self::$op => crate::$module::$handler(deps, req).await,)* })
            }
        }

        impl Scheduled {
            pub fn name(self) -> &'static str {
                match self { $(Self::$job => stringify!($job_handler),)* }
            }

            /// Runs the job, and turns what it did into the JSON the runtime answers.
            pub async fn handle(self, deps: &Deps, event: serde_json::Value) -> Result<serde_json::Value, portal::AppError> {
                let answer = match self {
                    $(Self::$job => serde_json::to_value(crate::$job_module::$job_handler(deps, event).await?),)*
                };
                answer.map_err(|e| {
                    let cause = format!("the job's answer did not serialise: {e}");
                    portal::AppError::invariant(cause)
                })
            }
        }
    };
}

operations! {
    http {
        CreateAccount => accounts::create_account: POST "/accounts", Public;
        ActivateAccount => accounts::activate_account: POST "/accounts/activate", Public;
        ForgotPassword => accounts::forgot_password: POST "/accounts/forgot-password", Public;
        ResetPassword => accounts::reset_password: POST "/accounts/reset-password", Public;
        CheckResetLink => accounts::check_reset_link: POST "/accounts/reset-password/check", Public;
        CreateSession => accounts::create_session: POST "/sessions", Public;
        RefreshSession => accounts::refresh_session: POST "/sessions/refresh", Public;
        RevokeSession => accounts::revoke_session: POST "/sessions/revoke", Public;
        CreateStaffSession => accounts::create_staff_session: POST "/staff/sessions", Public;
        RefreshStaffSession => accounts::refresh_staff_session: POST "/staff/sessions/refresh", Public;
        RevokeStaffSession => accounts::revoke_staff_session: POST "/staff/sessions/revoke", Public;
        ForgotStaffPassword => accounts::forgot_staff_password: POST "/staff/forgot-password", Public;
        ResetStaffPassword => accounts::reset_staff_password: POST "/staff/reset-password", Public;
        GetMe => accounts::get_me: GET "/me", Partner;
        CreateProfile => profiles::create_profile: POST "/profile", Partner;
        GetProfile => profiles::get_profile: GET "/profile", Partner;
        UpdateProfile => profiles::update_profile: PUT "/profile", Partner;
        GetProfileLogs => profiles::get_profile_logs: GET "/profile/logs", Partner;
        ListProfileUsers => profiles::list_profile_users: GET "/profile/users", Partner;
        CreateInvitation => profiles::create_invitation: POST "/profile/invitations", Partner;
        LinkProfile => profiles::link_profile: POST "/profile/link", Partner;
        UploadLogo => profiles::upload_logo: PUT "/profile/logo", Partner;
        ListCategories => profiles::list_categories: GET "/categories", Public;
        ListPartners => directory::list_partners: GET "/partners", Public;
        GetPartner => directory::get_partner: GET "/partners/{slug}", Public;
        GetPartnerLogo => directory::get_partner_logo: GET "/partners/{slug}/logo", Public;
        ListApplications => applications::list_applications: GET "/applications", Partner;
        VerifyClientCredentials => applications::verify_client_credentials: POST "/client-credentials/verify", Partner;
        CreateApplication => applications::create_application: POST "/applications", Partner;
        GetApplication => applications::get_application: GET "/applications/{id}", Partner;
        UpdateApplication => applications::update_application: PUT "/applications/{id}", Partner;
        CreateClientSecret => applications::create_client_secret: POST "/applications/{id}/secret", Partner;
        UpdateApplicationJwks => applications::update_application_jwks: PUT "/applications/{id}/jwks", Partner;
        ResendContactConfirmation => applications::resend_contact_confirmation: POST "/applications/{id}/contact-confirmation", Partner;
        ConfirmContact => applications::confirm_contact: POST "/contact-confirmations", Public;
        GetApplicationLogs => applications::get_application_logs: GET "/applications/{id}/logs", Partner;
        GetApplicationAccess => access::get_application_access: GET "/applications/{id}/access", Partner;
        CreateAccessRequests => access::create_access_requests: POST "/applications/{id}/access-requests", Partner;
        ListAccessRequests => access::list_access_requests: GET "/applications/{id}/access-requests", Partner;
        ListReviewQueue => applications::list_review_queue: GET "/admin/applications", Staff;
        GetAdminApplication => applications::get_admin_application: GET "/admin/applications/{id}", Staff;
        ApproveApplication => applications::approve_application: POST "/admin/applications/{id}/approve", Staff;
        RejectApplication => applications::reject_application: POST "/admin/applications/{id}/reject", Staff;
        ArchiveApplication => applications::archive_application: POST "/admin/applications/{id}/archive", Staff;
        DeactivatePartner => suspension::deactivate_partner: POST "/admin/partners/{id}/deactivate", Staff;
        ActivatePartner => suspension::activate_partner: POST "/admin/partners/{id}/activate", Staff;
        GetAdminClient => clients::get_admin_client: GET "/admin/clients/{client_id}", Staff;
        RemoveBlockedScopes => clients::remove_blocked_scopes: DELETE "/admin/clients/{client_id}/blocked-scopes", Staff;
        GetAccessRequest => access::get_access_request: GET "/access-requests/{token}", SchoolAdmin;
        GrantAccess => access::grant_access: POST "/access-requests/{token}/grant", SchoolAdmin;
        ListSchoolApplications => access::list_school_applications: GET "/schools/{institution}/applications", SchoolAdmin;
        UpdateSchoolAccess => access::update_school_access: PUT "/schools/{institution}/applications/{id}/access", SchoolAdmin;
        CreateToken => tokens::create_token: POST "/oauth2/token", Public;
        GetJwks => tokens::get_jwks: GET "/.well-known/jwks.json", Public;
        GetAuthorizationServerMetadata => tokens::get_authorization_server_metadata: GET "/.well-known/oauth-authorization-server", Public;
    }
    scheduled {
        ExpireAccessRequests => access::expire_access_requests;
    }
}

/// What one Lambda function runs: an operation behind a route, or a scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Http(Operation),
    Scheduled(Scheduled),
}

impl Function {
    /// Every function of the template, routes first.
    pub fn all() -> impl Iterator<Item = Function> {
        ROUTES.iter().map(|r| Function::Http(r.operation)).chain(SCHEDULED.iter().map(|&s| Function::Scheduled(s)))
    }

    /// The function whose name is `handler` (the Lambda `_HANDLER` setting), if there is one.
    pub fn from_handler(handler: &str) -> Option<Function> {
        Self::all().find(|f| f.name() == handler)
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Http(op) => op.name(),
            Function::Scheduled(job) => job.name(),
        }
    }

    /// The function's logical id in template.yaml: the name in CamelCase plus `Function`.
    pub fn function_id(self) -> String {
        let camel: String = self
            .name()
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        format!("{camel}Function")
    }
}

impl Operation {
    /// The function's logical id in template.yaml (`GetMeFunction`).
    pub fn function_id(self) -> String {
        Function::Http(self).function_id()
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

    use super::*;

    #[test]
    fn every_route_and_every_name_is_declared_once() {
        let mut routes = HashSet::new();
        for route in ROUTES {
            assert!(routes.insert((route.method, route.path)), "duplicate route {} {}", route.method, route.path);
        }
        let mut names = HashSet::new();
        for function in Function::all() {
            assert!(names.insert(function.name()), "two functions named {}", function.name());
            assert_eq!(Function::from_handler(function.name()), Some(function));
        }
        assert_eq!(names.len(), ROUTES.len() + SCHEDULED.len());
        assert_eq!(Function::from_handler("bootstrap"), None);
        assert_eq!(Function::from_handler(""), None);
    }

    #[test]
    fn names_and_function_ids_follow_the_handlers() {
        assert_eq!(Operation::CreateAccount.name(), "create_account");
        assert_eq!(Operation::CreateAccount.function_id(), "CreateAccountFunction");
        assert_eq!(Operation::GetMe.function_id(), "GetMeFunction");
        assert_eq!(Scheduled::ExpireAccessRequests.name(), "expire_access_requests");
        assert_eq!(Function::Scheduled(Scheduled::ExpireAccessRequests).function_id(), "ExpireAccessRequestsFunction");
    }

    #[test]
    fn matches_templates_and_extracts_parameters() {
        let route = |method, path| Route { method, path, auth: Auth::Partner, operation: Operation::GetMe };
        let r = route("GET", "/applications/{id}/logs");
        assert_eq!(r.matches("GET", "/applications/abc/logs"), Some(vec![("id".into(), "abc".into())]));
        assert_eq!(r.matches("POST", "/applications/abc/logs"), None);
        assert_eq!(r.matches("GET", "/applications//logs"), None);
        assert_eq!(r.matches("GET", "/applications/abc"), None);
        let me = route("GET", "/me");
        assert_eq!(me.matches("GET", "/me/"), Some(vec![]));
        assert_eq!(me.matches("GET", "/mee"), None);
    }
}
