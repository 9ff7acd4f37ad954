"""Pure engines: Polars/NumPy in, results out; no database, usable from the CLI on plain files."""
