//! Lambda: reset_password
portal_functions::lambda_main!(portal_functions::accounts::reset_password);
