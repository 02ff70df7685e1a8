//! Lambda for `GET /profile`.
portal_functions::lambda_main!(portal_functions::profiles::get_profile);
