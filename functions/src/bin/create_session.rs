//! Lambda: create_session
portal_functions::lambda_main!(portal_functions::accounts::create_session);
