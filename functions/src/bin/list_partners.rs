//! Lambda for `GET /partners`.
portal_functions::lambda_main!(portal_functions::directory::list_partners);
