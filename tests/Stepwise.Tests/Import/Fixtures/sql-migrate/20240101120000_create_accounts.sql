-- Accounts, and a function keeping updated_at current.
-- +migrate Up
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +migrate StatementBegin
CREATE FUNCTION accounts_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
-- +migrate StatementEnd

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_touch();

-- +migrate Down
DROP TRIGGER accounts_touch ON accounts;
DROP FUNCTION accounts_touch();
DROP TABLE accounts;
