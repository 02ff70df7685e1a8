//! Lambda for `GET /partners/{slug}`.
portal_functions::lambda_main!(portal_functions::directory::get_partner);
