"""The district a lead is filed under: read from the address (then the seller), with the districts staff keep in
config/detector/entities.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from core.districts import load_districts
from core.lead import Detection
from index.district import DistrictFinder, configured_districts
from index.lead import observation


def test_the_first_district_an_address_names_is_the_lead_s() -> None:
    assert configured_districts().find("上海市徐汇区漕溪北路，服务覆盖浦东新区、闵行区") == "徐汇区"
    assert configured_districts().find("上海市静安区南京西路1号（原闸北）") == "静安区"


def test_an_area_written_right_after_its_district_refines_it() -> None:
    assert configured_districts().find("上海市浦东新区临港新片区环湖西二路888号") == "临港新片区"
    assert configured_districts().find("浦东 临港") == "临港新片区"
    assert configured_districts().find("浦东新区张江，临港也有分部") == "浦东新区"


def test_short_names_count_and_the_address_comes_before_the_seller() -> None:
    assert configured_districts().find("上海 徐汇", "浦东新区某某知识产权代理有限公司") == "徐汇区"
    assert configured_districts().find("", "浦东新区某某知识产权代理有限公司") == "浦东新区"
    assert configured_districts().find(None, "全国可办", "") is None


def test_a_lead_is_filed_under_the_district_of_its_location() -> None:
    listing = {"canonical_url": "http://m/item.htm?id=1", "location": "上海市杨浦区国定路",
               "seller": "黄浦区某代理", "fetched_at": "2026-11-02T08:00:00Z"}
    assert observation(listing, Detection())["district"] == "杨浦区"


def test_districts_come_from_the_config_staff_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "detector").mkdir()
    entities = "districts:\n  苏州工业园区: [园区]\n  浦东新区: []\n"
    (tmp_path / "detector" / "entities.yaml").write_text(entities, "utf-8")
    monkeypatch.setenv("LANTIAN_CONFIG_DIR", str(tmp_path))
    assert configured_districts().find("苏州市园区星湖街") == "苏州工业园区"
    assert configured_districts().find("上海市徐汇区") is None
    assert DistrictFinder(load_districts(tmp_path)).find("浦东新区") == "浦东新区"


@pytest.mark.parametrize("districts", ["[浦东新区]", "{}", "{浦东新区: 浦东}", "{浦东新区: [1]}"])
def test_a_broken_district_list_names_the_file_and_field(tmp_path: Path, districts: str) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "entities.yaml").write_text(f"districts: {districts}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"entities\.yaml: districts"):
        load_districts(tmp_path)
