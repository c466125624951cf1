-- +migrate Up
ALTER TABLE accounts ADD COLUMN display text;

COMMIT;
-- A concurrent index cannot be built inside sql-migrate's transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_handle_idx ON accounts (handle);
BEGIN;

-- +migrate Down
DROP INDEX IF EXISTS accounts_handle_idx;
ALTER TABLE accounts DROP COLUMN display;
