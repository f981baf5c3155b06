"""Chinese NLP detector of illegal IP-agency advertising: `Detector.load().detect(listing)`.

`Detector` is imported on first use so that importing a light module of the detector stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detector.detector import Detector

__all__ = ["Detector"]


def __getattr__(name: str) -> Any:
    if name == "Detector":
        from detector.detector import Detector

        return Detector
    raise AttributeError(f"module 'detector' has no attribute {name!r}")
