//! Lambda for `PUT /applications/{id}`.
portal_functions::lambda_main!(portal_functions::applications::update_application);
