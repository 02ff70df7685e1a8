//! Lambda for `POST /profile`.
portal_functions::lambda_main!(portal_functions::profiles::create_profile);
