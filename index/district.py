"""The district a lead is filed under, read from the seller's address or name (districts: config/detector/
entities.yaml, the same list the detector's district entities use)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from core.districts import load_districts
from core.settings import config_dir

_SPACES = re.compile(r"\s+")
# What a lead without a district is counted and filtered as (stats, reports, the console's district filter).
UNKNOWN_DISTRICT = "未知"


class DistrictFinder:
    """Finds the district a text names: the first one mentioned, refined by names written right after it, as an
    address goes from the larger area to the smaller ("浦东新区临港新片区" is 临港新片区)."""

    def __init__(self, districts: Mapping[str, Sequence[str]]) -> None:
        self._district_of = {name: district for district, aliases in districts.items()
                             for name in (district, *aliases)}
        names = sorted(self._district_of, key=len, reverse=True)
        self._names = re.compile("|".join(re.escape(name) for name in names))

    def find(self, *texts: object) -> str | None:
        """The district of the first text (address first) that names one; None if none does."""
        for text in texts:
            if not text:
                continue
            district, end = None, -1
            for mention in self._names.finditer(_SPACES.sub("", str(text))):
                if district is not None and mention.start() != end:
                    break
                district, end = self._district_of[mention.group()], mention.end()
            if district is not None:
                return district
        return None


@lru_cache(maxsize=8)
def district_finder(directory: Path) -> DistrictFinder:
    return DistrictFinder(load_districts(directory))


def configured_districts() -> DistrictFinder:
    """The finder of the configured config directory's districts."""
    return district_finder(config_dir())

