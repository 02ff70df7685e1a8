//! Lambda for `POST /admin/partners/{id}/deactivate`.
portal_functions::lambda_main!(portal_functions::applications::deactivate_partner);
