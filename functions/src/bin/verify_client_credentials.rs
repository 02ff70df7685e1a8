//! Lambda for `POST /client-credentials/verify`.
portal_functions::lambda_main!(portal_functions::applications::verify_client_credentials);
