"""Evidence capture: content-addressed raw bodies and screenshots, WARC records, and a hash-chained log.

Scrapy components: `crawler.evidence.middleware.EvidenceMiddleware`, `crawler.evidence.pipeline.ScreenshotPipeline`
(see README.md). `lantian evidence verify|show` come from `crawler.evidence.cli`.
"""
from crawler.evidence.archive import EvidenceArchive, Screenshot, default_root
from crawler.evidence.log import EvidenceLog, EvidenceLogError, Problem, VerifyReport
from crawler.evidence.warc import Exchange

__all__ = [
    "EvidenceArchive", "EvidenceLog", "EvidenceLogError", "Exchange", "Problem", "Screenshot", "VerifyReport",
    "default_root",
]
