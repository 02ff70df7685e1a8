//! Lambda for `POST /admin/applications/{id}/approve`.
portal_functions::lambda_main!(portal_functions::applications::approve_application);
