-- stepwise:up
CREATE TABLE accounts (id bigint PRIMARY KEY);

-- stepwise:down
DROP TABLE accounts;
