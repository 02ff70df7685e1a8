//! Lambda for `POST /access-requests/{token}/grant`.
portal_functions::lambda_main!(portal_functions::schools::grant_access);
