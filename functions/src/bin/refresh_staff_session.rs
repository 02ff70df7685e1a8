//! Lambda for `POST /staff/sessions/refresh`.
portal_functions::lambda_main!(portal_functions::accounts::refresh_staff_session);
