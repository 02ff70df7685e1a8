//! Lambda for `GET /applications/{id}/logs`.
portal_functions::lambda_main!(portal_functions::applications::get_application_logs);
