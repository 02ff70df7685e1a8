//! Lambda for `GET /access-requests/{token}`.
portal_functions::lambda_main!(portal_functions::schools::get_access_request);
