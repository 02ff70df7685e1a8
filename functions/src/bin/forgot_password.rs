//! Lambda for `POST /accounts/forgot-password`.
portal_functions::lambda_main!(portal_functions::accounts::forgot_password);
