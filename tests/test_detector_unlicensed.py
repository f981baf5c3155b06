"""`unlicensed_agency` is about patent agency only: an agency for trademarks needs no licence, so a trademark
agency's page (captured from a site no platform config describes, hence no seller to look up) raises no label,
however much it reads like an agency's ad; the same page offering patent work does. Pages written for this test."""
from __future__ import annotations

import pytest

from detector.detector import Detector
from tests.test_detector_detector import FixedScores, model_detector

TRADEMARK_PAGES = [
    ("商标申请代办 当天提交 进度可查",
     "个人、个体户、公司都可以申请，资料齐全当天提交。\n十年老团队，服务企业五百余家，行业覆盖食品、服装、电子。\n"
     "全程跟进审查进度，有补正通知第一时间告诉您。\n加V：tm_apply2026"),
    ("商标代理 注册 续展 转让 异议",
     "本所代理商标注册申请、续展、转让、变更和异议答辩，代理费明码标价，官费按规定收取。\n"
     "团队在闵行区，可上门签约，全国客户也可线上办理。\n电话：021-64001234"),
]
PATENT_PAGE = ("专利申请代办 当天提交 进度可查",
               "发明、实用新型、外观设计都能办，资料齐全当天提交。\n十年老团队，服务企业五百余家。\n"
               "全程跟进审查进度，有补正通知第一时间告诉您。\n加V：pt_apply2026")


def test_a_trademark_page_offers_no_patent_agency_whatever_the_model_says(rules_detector: Detector) -> None:
    detector = model_detector(rules_detector, FixedScores({"offers_patent_agency": 0.95}, {}))
    for title, text in TRADEMARK_PAGES:
        result = detector.detect({"id": "tm", "title": title, "text": text})
        assert result.labels == [] and result.scores["unlicensed_agency"] == 0.0, title
    title, text = PATENT_PAGE
    assert detector.detect({"id": "pt", "title": title, "text": text}).labels == ["unlicensed_agency"]


@pytest.fixture(scope="module")
def detector(registry_csv) -> Detector:
    return Detector.load(registry=registry_csv)


@pytest.mark.parametrize(("title", "text"), TRADEMARK_PAGES, ids=["short-form", "firm page"])
def test_committed_model_leaves_a_trademark_agency_page_without_a_seller_alone(
        detector: Detector, title: str, text: str) -> None:
    assert detector.mode == "model"
    assert "unlicensed_agency" not in detector.detect({"id": "tm", "title": title, "text": text}).labels


def test_committed_model_flags_a_patent_agency_page_without_a_seller(detector: Detector) -> None:
    title, text = PATENT_PAGE
    result = detector.detect({"id": "pt", "title": title, "text": text})
    assert "unlicensed_agency" in result.labels
    assert any(span["label"] == "unlicensed_agency" and span["field"] in ("title", "text")
               for span in result.evidence)
