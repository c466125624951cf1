BEGIN;
ALTER TABLE orders ADD COLUMN total numeric(12,2);
UPDATE orders SET total = 0;
COMMIT;
