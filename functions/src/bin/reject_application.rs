//! Lambda for `POST /admin/applications/{id}/reject`.
portal_functions::lambda_main!(portal_functions::applications::reject_application);
