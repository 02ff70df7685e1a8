//! Lambda for `GET /me`.
portal_functions::lambda_main!(portal_functions::accounts::get_me);
