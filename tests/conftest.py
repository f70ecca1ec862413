"""Shared pytest configuration."""
import matplotlib

matplotlib.use("Agg")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (skipped by make test-fast)")
