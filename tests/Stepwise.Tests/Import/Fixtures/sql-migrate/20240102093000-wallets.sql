-- +migrate Up
CREATE TABLE wallets (
    account_id bigint NOT NULL REFERENCES accounts (id),
    balance numeric NOT NULL DEFAULT 0
);

-- +migrate Down
DROP TABLE wallets;
