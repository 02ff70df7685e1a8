//! Lambda for `POST /staff/sessions`.
portal_functions::lambda_main!(portal_functions::accounts::create_staff_session);
