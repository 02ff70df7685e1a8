//! Lambda for `GET /applications/{id}/access-requests`.
portal_functions::lambda_main!(portal_functions::applications::list_access_requests);
