-- +migrate Up
ALTER TABLE ledger ADD COLUMN note text;

-- +migrate Down
ALTER TABLE ledger DROP COLUMN note;
