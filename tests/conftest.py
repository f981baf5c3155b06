"""Shared fixtures: each part of lantian keeps its fixtures in `tests/fixtures/<part>.py`."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Every fixture module is registered here, so tests request fixtures by name and import only plain helpers.
# No two of these modules may define a fixture of one name (which one wins would then depend on this order),
# and none has autouse fixtures (they would apply to every test).
pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.simulator",
    "tests.fixtures.elasticsearch",
    "tests.fixtures.casework",
    "tests.fixtures.detector",
    "tests.fixtures.evidence",
]


@pytest.fixture(scope="session", autouse=True)
def evidence_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Evidence checkpoints in tests (and in the crawls they start) are signed with a key of the test session,
    never with the one in the home directory."""
    path = tmp_path_factory.mktemp("evidence-key") / "evidence-signing-key.pem"
    before = os.environ.get("LANTIAN_EVIDENCE_KEY")
    os.environ["LANTIAN_EVIDENCE_KEY"] = str(path)
    yield path
    if before is None:
        del os.environ["LANTIAN_EVIDENCE_KEY"]
    else:
        os.environ["LANTIAN_EVIDENCE_KEY"] = before
