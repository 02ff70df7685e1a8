//! Lambda for `GET /admin/applications/{id}`.
portal_functions::lambda_main!(portal_functions::applications::get_admin_application);
