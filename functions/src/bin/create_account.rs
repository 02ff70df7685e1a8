//! Lambda for `POST /accounts`.
portal_functions::lambda_main!(portal_functions::accounts::create_account);
