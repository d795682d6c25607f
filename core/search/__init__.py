"""Parameter searches over training runs (``core.search.grid``: Optuna grid search)."""
