-- evolve-tx-off
CREATE INDEX CONCURRENTLY customers_email ON customers (email);
