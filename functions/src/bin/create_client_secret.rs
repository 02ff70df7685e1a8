//! Lambda for `POST /applications/{id}/secret`.
portal_functions::lambda_main!(portal_functions::applications::create_client_secret);
