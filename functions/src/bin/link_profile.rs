//! Lambda for `POST /profile/link`.
portal_functions::lambda_main!(portal_functions::profiles::link_profile);
