//! Lambda for `POST /accounts/reset-password`.
portal_functions::lambda_main!(portal_functions::accounts::reset_password);
