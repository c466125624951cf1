-- +goose NO TRANSACTION

-- +goose Up
CREATE INDEX CONCURRENTLY users_email ON users (email);

-- +goose Down
DROP INDEX CONCURRENTLY users_email;
