//! Lambda for `GET /applications/{id}/access`.
portal_functions::lambda_main!(portal_functions::applications::get_application_access);
