CREATE INDEX CONCURRENTLY orders_placed_at ON orders (placed_at);
