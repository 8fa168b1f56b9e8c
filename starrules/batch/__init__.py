"""Many branches: `evaluate_many` (one result per record), the numpy batch engine, the chunk driver `evaluate_columns`, its int64 lanes and `ResultBatch`."""
