//! Lambda for `POST /sessions`.
portal_functions::lambda_main!(portal_functions::accounts::create_session);
