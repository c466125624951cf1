-- no-transaction
drop index concurrently users_email_idx;
