//! Lambda for `DELETE /admin/clients/{client_id}/blocked-scopes`.
portal_functions::lambda_main!(portal_functions::clients::remove_blocked_scopes);
