//! Lambda for `POST /accounts/activate`.
portal_functions::lambda_main!(portal_functions::accounts::activate_account);
