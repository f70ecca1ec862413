"""Performance benchmarks run by ``make bench`` (``benchmarks/run_all.py``)."""
