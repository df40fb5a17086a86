"""Read models: each module folds a batch of events into its net changes (pure) and flushes
them set-based; `runner.py` applies batches exactly once."""
