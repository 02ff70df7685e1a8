//! Lambda for `GET /admin/clients/{client_id}`.
portal_functions::lambda_main!(portal_functions::clients::get_admin_client);
