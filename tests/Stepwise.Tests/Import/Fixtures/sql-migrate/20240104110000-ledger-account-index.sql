-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS ledger_account_idx ON ledger (account_id);

-- +migrate Down
DROP INDEX IF EXISTS ledger_account_idx;
