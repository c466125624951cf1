-- +migrate Up
CREATE TABLE ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    amount numeric NOT NULL
);

-- +migrate Down
DROP TABLE ledger;
