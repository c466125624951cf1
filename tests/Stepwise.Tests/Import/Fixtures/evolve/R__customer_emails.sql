CREATE OR REPLACE VIEW customer_emails AS
SELECT id, email FROM customers WHERE email IS NOT NULL;
