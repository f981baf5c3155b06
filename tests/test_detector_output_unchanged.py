"""Making the detector faster leaves its output as it was: every result on the fixed set (template test split,
real-world corpus, five-listing pages; model and rules-only mode) hashes to the recorded digest."""
from __future__ import annotations

from tests.fixtures.detector_output import RECORD_COMMAND, inputs_fingerprint, output_digests, recorded


def test_detector_output_on_the_fixed_set_is_the_recorded_one() -> None:
    record = recorded()
    assert inputs_fingerprint() == record["inputs"], (
        "the model, config/detector/, the registry or the fixed set changed since the detector's output was "
        f"recorded: if that change is meant to change the output, record it again with `{RECORD_COMMAND}`")
    assert output_digests() == record["digests"], (
        "the detector's output on the fixed set changed (a speed-up must not change it; a change on purpose is "
        f"recorded again with `{RECORD_COMMAND}`)")
