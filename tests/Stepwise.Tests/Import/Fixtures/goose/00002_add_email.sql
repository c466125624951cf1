-- +goose up
ALTER TABLE users ADD COLUMN email text;

-- +goose down
ALTER TABLE users DROP COLUMN email;
