//! Lambda: create_account
portal_functions::lambda_main!(portal_functions::accounts::create_account);
