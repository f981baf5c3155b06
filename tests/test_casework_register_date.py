"""A takedown letter that says a publisher is not a licensed patent agency names the register it checked and the day
that register was taken (registry.name, registry.source, registry.as_of in config/lantian.yaml): counsel cannot check
"发布者不在专利代理机构名录中" without knowing which register, as of when. Without the day, a letter is not sent
(the CSV's file date is when it was copied here, not the register's state); a sample says the day is not set."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docx import Document

from casework import workflow
from casework.config import load_takedown_config
from casework.takedown import request_takedowns
from core.config import ConfigError
from core.settings import main_settings
from tests.fixtures.casework import detection, fill_register, listing

pytestmark = pytest.mark.usefixtures("office")


@pytest.fixture
def undated(office: Path) -> Path:
    """The office's config without registry.as_of (settings are read once per file: before the store opens)."""
    return fill_register(office.parent.parent, as_of=None)


def _unlicensed(store: Any, n: int, note: str, text: str = "某某知识产权", field: str = "seller") -> Any:
    item = listing(n)
    start = (item[field] or "").find(text)
    spans = [{"label": "unlicensed_agency", "field": field, "start": start, "end": start + len(text), "text": text,
              "rule": "registry.not_in_registry", "note": note}]
    lead = store.upsert(item, detection(item, ["unlicensed_agency"]).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _quotes(result: Any) -> list[str]:
    return [row.cells[4].text for row in Document(str(result.files["docx"])).tables[0].rows[1:]]


def test_a_letter_names_the_register_and_the_day_it_was_taken(store: Any, tmp_path: Path) -> None:
    _unlicensed(store, 1, "发布者不在专利代理机构名录中")
    _unlicensed(store, 2, "机构代码 31999 不在专利代理机构名录中")
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path / "letters", by="root")
    assert result is not None and result.moved
    register = "截至2026年11月30日的《专利代理机构名录》（国家知识产权局专利代理管理系统）"
    said = f"（一）发布者名称：“某某知识产权”（经查，{register}中无"
    assert sorted(_quotes(result)) == [f"{said}机构代码 31999）", f"{said}该发布者）"]


def test_without_the_registers_day_a_letter_is_refused_and_a_sample_says_so(undated: Path, store: Any,
                                                                            tmp_path: Path) -> None:
    lead = _unlicensed(store, 1, "发布者不在专利代理机构名录中")
    with pytest.raises(ConfigError) as refused:
        request_takedowns(store, "market", load_takedown_config(), tmp_path / "letters", by="root")
    assert "lantian.yaml: field 'registry.as_of' is not set" in str(refused.value)
    assert store.get(lead.id).status == "confirmed" and not (tmp_path / "letters").exists()
    sample = request_takedowns(store, "market", load_takedown_config(), tmp_path / "sample", by="root", sample=True)
    assert sample is not None
    assert _quotes(sample) == ["（一）发布者名称：“某某知识产权”（经查，《专利代理机构名录》"
                               "（国家知识产权局专利代理管理系统）（名录日期未配置）中无该发布者）"]


def test_a_letter_without_a_registry_finding_needs_no_register_day(undated: Path, store: Any, tmp_path: Path) -> None:
    item = listing(1)
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path / "letters", by="root")
    assert result is not None and result.moved == [lead.id]


@pytest.mark.parametrize(("fields", "said"), [
    ({"as_of": "2099-01-01"}, "registry.as_of: 2099-01-01 is in the future"),
    ({"as_of": "上月"}, "registry.as_of: Input should be a valid date"),
    ({"name": "《专利代理机构名录》"}, "registry.name: String should match pattern"),
])
def test_the_registers_name_and_day_are_checked_when_the_settings_are_read(office: Path, fields: dict[str, str],
                                                                           said: str) -> None:
    fill_register(office.parent.parent, **fields)
    with pytest.raises(ConfigError) as refused:
        main_settings()
    assert "lantian.yaml" in str(refused.value) and said in str(refused.value), str(refused.value)
