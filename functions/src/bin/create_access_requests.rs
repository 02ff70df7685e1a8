//! Lambda for `POST /applications/{id}/access-requests`.
portal_functions::lambda_main!(portal_functions::applications::create_access_requests);
