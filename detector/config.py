"""`config/detector/detector.yaml` as a model: the threshold each label is flagged at (rules-only mode, and labels a
trained model gives none for), the lexicons that show a model-only label's evidence, the lexicons naming a patent
matter (without one, no patent agency is offered), the OCR settings, and which rules `lantian train` keeps for the
rule path (`detector.rule_path`). Kept
free of the detector's heavy imports, so casework reads the same thresholds cheaply."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from core.config import StrictModel, load_model
from core.labels import CONTENT_LABELS, OFFERS_PATENT_AGENCY
from core.settings import config_dir

DETECTOR_FILE = Path("detector") / "detector.yaml"
# What the models and the rules score: the content labels and the patent-agency signal.
MODEL_LABELS: tuple[str, ...] = (*CONTENT_LABELS, OFFERS_PATENT_AGENCY)


class OcrSettings(StrictModel):
    min_score: float = Field(0.5, ge=0, le=1, description="recognised lines below this confidence are dropped")
    max_side: int = Field(1600, ge=64, description="images are scaled down to this longer side before OCR")


class RulePathSettings(StrictModel):
    """Which rules `lantian train` keeps for the rule path (`detector.rule_path`); read at training only."""

    min_precision: float = Field(0.98, gt=0, le=1, description="a kept rule's precision where it fired in a "
                                                               "soliciting train or validation item")
    min_support: int = Field(3, ge=1, description="items a kept rule fired in, at least")
    solicitation: float = Field(0.8, ge=0, le=1, description="the solicitation score at which a kept rule counts")
    enabled: bool = True


class OtherSectorSettings(StrictModel):
    other_trade_lexicons: list[str] = Field(default_factory=list, description="lexicons naming another trade")
    ip_sector_lexicons: list[str] = Field(default_factory=list, description="lexicons naming the IP trade")


class DetectorFile(StrictModel):
    thresholds: dict[str, Annotated[float, Field(gt=0, le=1)]]
    evidence_lexicons: dict[str, list[str]] = Field(default_factory=dict)
    patent_subject_lexicons: list[str] = Field(default_factory=list)
    other_sector: OtherSectorSettings = OtherSectorSettings()
    ocr: OcrSettings = OcrSettings()
    rule_path: RulePathSettings = RulePathSettings()

    @model_validator(mode="after")
    def _every_label_known(self) -> DetectorFile:
        missing = [label for label in MODEL_LABELS if label not in self.thresholds]
        if missing:
            raise ValueError(f"thresholds: no threshold for {', '.join(missing)}")
        unknown = sorted(set(self.thresholds) - set(MODEL_LABELS))
        unknown += sorted(set(self.evidence_lexicons) - set(MODEL_LABELS))
        if unknown:
            raise ValueError(f"unknown label {unknown[0]!r}: the labels are {', '.join(MODEL_LABELS)}")
        return self


def load_detector_file(directory: Path | None = None) -> tuple[DetectorFile, Path]:
    """detector.yaml of the config dir (default: the configured one), validated, and its path."""
    path = (directory or config_dir()) / DETECTOR_FILE
    return load_model(DetectorFile, path), path
