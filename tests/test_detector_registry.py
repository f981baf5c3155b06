"""The licensed-agency registry and the unlicensed_agency decision."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.config import ConfigError
from core.settings import project_root
from detector.detector import Detector
from detector.registry import AgencyRegistry
from simulator.server import default_out_dir
from tests.fixtures.detector import write_registry

OFFER = "个人接专利代写代办，发明、实用新型都能写，980元起。"


def test_registry_lookups(registry_csv: Path) -> None:
    registry = AgencyRegistry.load(registry_csv)
    assert len(registry) == 3
    assert registry.find_name("上海博睿专利代理事务所(普通合伙)").code == "31028"
    assert registry.find_name("上海华信知识产权代理有限公司官方店").code == "31027"
    assert registry.find_name("华信知产") is None
    assert registry.check(["上海华信知识产权代理有限公司"], []).licensed
    assert registry.check(["老王代办"], ["31027"]).reason == "code_of_other_agency"
    assert registry.check(["老王代办"], ["39999"]).reason == "unknown_code"
    assert registry.check([], ["31105"]).licensed
    assert registry.check(["老王代办"], []).reason == "not_in_registry"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,title\n", "header must be code,name,district"),
        ("code,name,district\n3102,短码机构,浦东新区\n", "line 2: need a 5-digit code"),
        (b"code,name,district\n31027,\xc9\xcf\xba\xa3,x\n", "not UTF-8"),
    ],
)
def test_broken_registry_is_a_clear_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "registry.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        AgencyRegistry.load(path)


def test_missing_registry_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="registry file not found"):
        AgencyRegistry.load(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="registry file not found"):
        Detector.load(rules_only=True, registry=tmp_path / "nope.csv")


def test_personal_seller_offering_patent_agency(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "p", "title": "代写代办专利申请", "text": OFFER, "seller": "张工专利代写"})
    assert result.labels == ["unlicensed_agency"]
    registry_span = [e for e in result.evidence if e["rule"].startswith("registry.")]
    assert registry_span == [{"label": "unlicensed_agency", "field": "seller", "start": 0, "end": 6,
                              "text": "张工专利代写", "rule": "registry.not_in_registry",
                              "note": "发布者不在专利代理机构名录中"}]
    assert any(e["rule"].startswith("offers.") for e in result.evidence)


def test_licensed_agency_offering_patent_agency(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "l", "title": "专利申请代理", "text": OFFER,
                                    "seller": "上海华信知识产权代理有限公司"})
    assert result.labels == []
    assert result.scores["unlicensed_agency"] == 0.0


def test_code_of_another_agency_is_evidence(rules_detector: Detector) -> None:
    text = "专利申请代理，机构代码 31028，价格实惠。"
    result = rules_detector.detect({"id": "c", "title": "", "text": text, "seller": "小李商标专利"})
    assert result.labels == ["unlicensed_agency"]
    [span] = [e for e in result.evidence if e["rule"] == "registry.code_of_other_agency"]
    assert (span["field"], text[span["start"]:span["end"]]) == ("text", "31028")
    assert "上海博睿专利代理事务所" in span["note"]


def test_unknown_code_is_evidence(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "u", "title": "专利代办 机构代码 39876", "text": OFFER})
    assert result.labels == ["unlicensed_agency"]
    assert [e["text"] for e in result.evidence if e["rule"] == "registry.unknown_code"] == ["39876"]


def test_no_patent_offer_no_unlicensed(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "t", "title": "商标注册 全程代办", "text": "商标查询、注册、续展。",
                                    "seller": "老王代办"})
    assert result.labels == []


def test_recruiting_attorneys_is_not_an_offer(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "r", "title": "诚聘专利代理师", "text": "负责专利撰写，五险一金。",
                                    "seller": "某科技公司"})
    assert result.labels == []


def test_without_registry_unlicensed_is_not_decided(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    (config / "lantian.yaml").write_text(f"registry:\n  path: {tmp_path / 'missing.csv'}\n", encoding="utf-8")
    detector = Detector.load(config, rules_only=True)
    assert "registry file not found" in (detector.registry_problem or "")
    result = detector.detect({"id": "p", "title": "代写代办专利申请", "text": OFFER, "seller": "张工专利代写"})
    assert result.labels == [] and result.scores["unlicensed_agency"] == 0.0


def test_shipped_registry_path_follows_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped `registry.path` is relative, read from `LANTIAN_DATA_DIR` where the simulator writes its registry:
    a deployment (or a test) with its own data dir reads its own registry, not the project's data/."""
    monkeypatch.delenv("LANTIAN_REGISTRY_PATH", raising=False)
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path / "elsewhere"))
    missing = AgencyRegistry.problem() or ""
    assert str(tmp_path / "elsewhere" / "simulator" / "registry.csv") in missing
    default_out_dir().mkdir(parents=True)
    write_registry(default_out_dir() / "registry.csv")
    assert AgencyRegistry.problem() is None
    assert len(AgencyRegistry.from_settings()) == 3
