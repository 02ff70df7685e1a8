//! Lambda for `GET /categories`.
portal_functions::lambda_main!(portal_functions::profiles::list_categories);
