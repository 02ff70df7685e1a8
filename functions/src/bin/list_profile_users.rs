//! Lambda for `GET /profile/users`.
portal_functions::lambda_main!(portal_functions::profiles::list_profile_users);
