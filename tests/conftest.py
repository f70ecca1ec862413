"""Shared pytest configuration."""
import matplotlib

matplotlib.use("Agg")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (skipped by make test-fast)")


_catalog = []


def pytest_runtest_logreport(report):
    for name, value in getattr(report, "user_properties", ()):
        if name == "bug_catalog" and report.when == "call":
            _catalog.append(tuple(value))


def pytest_terminal_summary(terminalreporter):
    """Print the bug catalog's size and kill rate (see tests/test_bug_catalog.py)."""
    if not _catalog:
        return
    terminalreporter.section("bug catalog")
    for assignment, size, killed in sorted(_catalog):
        terminalreporter.write_line(f"{assignment}: {size} bugs, {killed} killed")
    size = sum(c[1] for c in _catalog)
    killed = sum(c[2] for c in _catalog)
    terminalreporter.write_line(f"catalog size {size}, kill rate {killed}/{size} = "
                                f"{100.0 * killed / max(1, size):.1f}%")
