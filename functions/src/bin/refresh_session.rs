//! Lambda for `POST /sessions/refresh`.
portal_functions::lambda_main!(portal_functions::accounts::refresh_session);
