//! Lambda for `GET /.well-known/jwks.json`.
portal_functions::lambda_main!(portal_functions::oauth::get_jwks);
