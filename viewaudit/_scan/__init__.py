"""Scanning: from validated batches to the statistics the ladder needs (two engines, sketches, Dask)."""
