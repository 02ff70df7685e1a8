//! Lambda for `GET /partners/{slug}/logo`.
portal_functions::lambda_main!(portal_functions::directory::get_partner_logo);
