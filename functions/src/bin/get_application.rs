//! Lambda for `GET /applications/{id}`.
portal_functions::lambda_main!(portal_functions::applications::get_application);
