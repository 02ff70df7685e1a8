//! Lambda for `POST /profile/invitations`.
portal_functions::lambda_main!(portal_functions::profiles::create_invitation);
