"""Response cache: per-route policy, in-memory LRU, DynamoDB layer, coalescing."""
