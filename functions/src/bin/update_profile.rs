//! Lambda for `PUT /profile`.
portal_functions::lambda_main!(portal_functions::profiles::update_profile);
