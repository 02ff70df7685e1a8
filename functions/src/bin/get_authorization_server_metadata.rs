//! Lambda for `GET /.well-known/oauth-authorization-server`.
portal_functions::lambda_main!(portal_functions::oauth::get_authorization_server_metadata);
