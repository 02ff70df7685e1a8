//! Lambda for `POST /admin/partners/{id}/activate`.
portal_functions::lambda_main!(portal_functions::applications::activate_partner);
