-- stepwise:up
CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL
);

-- stepwise:down
DROP TABLE notes;
