//! Lambda for `PUT /schools/{institution}/applications/{id}/access`.
portal_functions::lambda_main!(portal_functions::schools::update_school_access);
