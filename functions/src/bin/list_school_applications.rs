//! Lambda for `GET /schools/{institution}/applications`.
portal_functions::lambda_main!(portal_functions::schools::list_school_applications);
