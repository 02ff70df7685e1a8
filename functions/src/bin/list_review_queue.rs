//! Lambda for `GET /admin/applications`.
portal_functions::lambda_main!(portal_functions::applications::list_review_queue);
