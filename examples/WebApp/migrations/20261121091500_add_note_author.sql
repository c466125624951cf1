-- stepwise:up
ALTER TABLE notes ADD COLUMN author text;

-- stepwise:down
ALTER TABLE notes DROP COLUMN author;
