-- stepwise:up
ALTER TABLE accounts ADD COLUMN email text;

-- stepwise:down
ALTER TABLE accounts DROP COLUMN email;
