//! Lambda for `PUT /profile/logo`.
portal_functions::lambda_main!(portal_functions::profiles::upload_logo);
