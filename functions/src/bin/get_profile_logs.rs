//! Lambda for `GET /profile/logs`.
portal_functions::lambda_main!(portal_functions::profiles::get_profile_logs);
