-- +goose Up
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
-- +goose ENVSUB ON
INSERT INTO settings (key, value) VALUES ('region', '${APP_REGION}');
-- +goose ENVSUB OFF

-- +goose Down
DROP TABLE settings;
