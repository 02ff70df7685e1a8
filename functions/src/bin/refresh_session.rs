//! Lambda: refresh_session
portal_functions::lambda_main!(portal_functions::accounts::refresh_session);
