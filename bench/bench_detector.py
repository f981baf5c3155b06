"""Detector throughput against the plain keyword baseline, in the same run, on the same listings.

    .venv/bin/python bench/bench_detector.py [--listings 5000] [--batch 256] [--ocr-images 3]

One process, numeric libraries pinned to one thread. Text path: `Detector.detect_many` (normalisation, rules,
entities, trained model, registry lookup) over corpus listings (`models/data/*.jsonl`), short (as written) and
long (five listings joined, like a detail page). Figures are listings per wall-clock second and per CPU second
of the process (the machine may be shared; CPU seconds are the per-core figure). OCR is measured separately,
per image, on generated PNG banners. Target: text path >= 1,000 listings/s per core.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from core.lead import Listing  # noqa: E402
from detector.detector import Detector, freeze_loaded  # noqa: E402
from detector.registry import AgencyRegistry  # noqa: E402
from detector.training.baseline import KeywordBaseline  # noqa: E402
from detector.training.corpus import data_root, read_items  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
BANNERS = ("国家知识产权局指定代理 内部渠道30天下证", "专业撤三 拿下别人的商标", "高价收专利代理师证 不用坐班")


def corpus_listings(count: int, joined: int = 1) -> list[Listing]:
    """`count` listings cycled from the corpus; `joined` > 1 concatenates that many texts into one page."""
    items = [item for split in ("train", "validation", "test") for item in read_items(data_root() / f"{split}.jsonl")]
    listings: list[Listing] = []
    for index in range(count):
        parts = [items[(index * joined + k) % len(items)] for k in range(joined)]
        listings.append({
            "id": f"bench-{index}", "title": parts[0].title, "seller": parts[0].seller,
            "text": "\n".join(part.text for part in parts),
        })
    return listings


def measure(detect_many: Callable[[list[Listing]], list[Any]], listings: list[Listing],
            batch: int) -> tuple[float, float]:
    """(listings per wall second, listings per CPU second) of `detect_many` over `listings` in batches."""
    detect_many(listings[:batch])  # warm-up: lazy loads (jieba dictionary, model) are not throughput
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(listings), batch):
        detect_many(listings[start:start + batch])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(listings) / wall, len(listings) / max(cpu, 1e-9)


def ocr_seconds_per_image(detector: Detector, count: int) -> float | None:
    """Mean seconds to read one generated 900x160 banner (engine loaded beforehand)."""
    if count <= 0 or not FONT.exists():
        return None
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 48)
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for index in range(count + 1):
            image = Image.new("RGB", (900, 160), "white")
            ImageDraw.Draw(image).text((20, 50), BANNERS[index % len(BANNERS)], fill="black", font=font)
            path = Path(directory) / f"banner{index}.png"
            image.save(path)
            paths.append(path)
        detector.ocr.read(paths[0])
        start = time.perf_counter()
        for path in paths[1:]:
            detector.ocr.read(path)
        return (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--ocr-images", type=int, default=3)
    args = parser.parse_args()
    registry = AgencyRegistry.load(data_root() / "registry.csv")
    detector = Detector.load(registry=registry)
    baseline = KeywordBaseline(registry)
    freeze_loaded()  # as `lantian detect` and `lantian crawl` do
    console = Console()
    console.print(f"detector mode: {detector.mode}; {args.listings} listings per run, batches of {args.batch}")
    table = Table("text path", "listings", "detector /s (wall)", "detector /s per core", "keyword /s (wall)",
                  "keyword /s per core")
    for name, joined in (("short (corpus listing)", 1), ("long (5 listings joined)", 5)):
        listings = corpus_listings(args.listings, joined)
        det_wall, det_cpu = measure(detector.detect_many, listings, args.batch)
        kw_wall, kw_cpu = measure(baseline.detect_many, listings, args.batch)
        table.add_row(name, str(len(listings)), f"{det_wall:,.0f}", f"{det_cpu:,.0f}", f"{kw_wall:,.0f}",
                      f"{kw_cpu:,.0f}")
    console.print(table)
    seconds = ocr_seconds_per_image(detector, args.ocr_images)
    if seconds is not None:
        console.print(f"OCR: {seconds:.3f} s per 900x160 image ({1 / seconds:.1f} images/s), "
                      f"mean of {args.ocr_images}")
    console.print("target: text path >= 1,000 listings/s per core")


if __name__ == "__main__":
    main()
