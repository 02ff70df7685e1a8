//! Lambda for `PUT /applications/{id}/jwks`.
portal_functions::lambda_main!(portal_functions::applications::update_application_jwks);
