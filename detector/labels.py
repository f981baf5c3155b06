"""The fixed label names of domain.md, used everywhere (detector output, index fields, reports)."""
from __future__ import annotations

CONTENT_LABELS = (
    "impersonation",
    "insider_channel",
    "malicious_cancellation",
    "abnormal_filing",
    "qualification_lending",
)
UNLICENSED_AGENCY = "unlicensed_agency"
LABELS = (*CONTENT_LABELS, UNLICENSED_AGENCY)
# Auxiliary signal of the models and rules (not a label): the listing offers patent agency services.
OFFERS_PATENT_AGENCY = "offers_patent_agency"
