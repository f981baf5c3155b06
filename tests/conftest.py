"""Shared fixtures: each part of lantian keeps its fixtures in `tests/fixtures/<part>.py`."""

pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.simulator",
    "tests.fixtures.elasticsearch",
]
