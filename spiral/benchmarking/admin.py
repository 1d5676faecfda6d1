"""Nothing to administer: benchmarking has no tables (see models.py)."""
