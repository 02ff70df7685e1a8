//! Lambda for `POST /oauth2/token`.
portal_functions::lambda_main!(portal_functions::oauth::create_token);
