//! Lambda for `POST /admin/applications/{id}/archive`.
portal_functions::lambda_main!(portal_functions::applications::archive_application);
