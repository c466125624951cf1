CREATE TABLE posts (
    id SERIAL PRIMARY KEY,
    title VARCHAR NOT NULL,
    body TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);

-- as Diesel's guide writes it: the last statement without its semicolon
DO $$ BEGIN PERFORM 1; END $$
