//! Lambda for `GET /applications`.
portal_functions::lambda_main!(portal_functions::applications::list_applications);
