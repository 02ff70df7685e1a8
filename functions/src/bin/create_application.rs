//! Lambda for `POST /applications`.
portal_functions::lambda_main!(portal_functions::applications::create_application);
