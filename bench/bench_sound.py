"""What matching by sound costs: the detector and its normaliser with and without it, in the same run.

    .venv/bin/python bench/bench_sound.py [--listings 3000] [--rounds 5] [--batch 256]

One process, numeric libraries pinned to one thread. The same corpus listings as `bench/bench_detector.py`
(short, as written). Each round times both variants back to back (in alternating order), so a busy machine
slows both alike; figures are listings per CPU second of the process (the per-core figure), the median of the
rounds, and the ratio without / with sound matching.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detector import corpus_listings  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from detector.detector import Detector  # noqa: E402
from detector.registry import AgencyRegistry  # noqa: E402
from detector.training.corpus import data_root  # noqa: E402
from detector.training.open_evasion import without_sound_matching  # noqa: E402


def per_cpu_second(run: Callable[[], Any], count: int) -> float:
    start = time.process_time()
    run()
    return count / max(time.process_time() - start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    with_sound = Detector.load(registry=AgencyRegistry.load(data_root() / "registry.csv"))
    without = without_sound_matching(with_sound)
    listings = corpus_listings(args.listings)
    fields = [listing[name] for listing in listings for name in ("title", "text", "seller") if listing[name]]

    def normalise(detector: Detector) -> Callable[[], object]:
        return lambda: [detector.normalizer(field) for field in fields]

    def detect(detector: Detector) -> Callable[[], object]:
        return lambda: [detector.detect_many(listings[i:i + args.batch]) for i in range(0, len(listings), args.batch)]

    variants = {"with": with_sound, "without": without}
    for detector in variants.values():
        detect(detector)()  # warm-up: lazy loads are not throughput
    figures: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for part, make in (("normaliser", normalise), ("detector", detect)):
            for name in order:
                figures.setdefault((part, name), []).append(per_cpu_second(make(variants[name]), len(listings)))
    table = Table("text path (short listings)", "with sound matching /s per core", "without /s per core",
                  "cost of sound matching", title=f"{len(listings)} listings, median of {args.rounds} rounds")
    for part in ("normaliser", "detector"):
        with_, without_ = (statistics.median(figures[(part, name)]) for name in ("with", "without"))
        table.add_row(part, f"{with_:,.0f}", f"{without_:,.0f}", f"{without_ / with_ - 1:+.1%} time")
    Console().print(table)


if __name__ == "__main__":
    main()
