CREATE OR REPLACE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders $$;

COMMENT ON FUNCTION order_count() IS 'orders placed so far';
