//! Lambda: activate_account
portal_functions::lambda_main!(portal_functions::accounts::activate_account);
