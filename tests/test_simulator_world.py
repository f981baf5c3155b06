"""The generated world: deterministic, covering every label, kind and evasion, consistent with its registry."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import httpx
import pytest
from opencc import OpenCC

from core.config import ConfigError
from simulator import SimulatorConfig, SimulatorServer
from simulator.corpus import CORPUS_DIR, LABELS, PLATFORMS, load_corpus
from simulator.evasion import EVASIONS
from simulator.sellers import write_registry
from simulator.world import World

ENDPOINTS = {platform: f"http://sim-{platform}" for platform in PLATFORMS}


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=11, listings=3000)


@pytest.fixture(scope="module")
def truth(world: World) -> list[dict]:
    return list(world.ground_truth(ENDPOINTS))


def test_same_seed_gives_same_listings_and_another_seed_does_not() -> None:
    first = list(World(3, 200).ground_truth(ENDPOINTS))
    again = list(World(3, 200).ground_truth(ENDPOINTS))
    other = list(World(4, 200).ground_truth(ENDPOINTS))
    assert first == again
    assert [r["title"] for r in first] != [r["title"] for r in other]
    assert World(3, 200).listing(57).text == World(3, 200).listing(57).text


def test_corpus_covers_every_label_kind_evasion_and_platform(truth: list[dict]) -> None:
    labels = Counter(label for record in truth for label in record["labels"])
    assert set(labels) == set(LABELS)
    kinds = Counter(record["kind"] for record in truth)
    assert set(kinds) == {"violation", "lawful_ad", "hard_negative", "unrelated"}
    assert min(kinds.values()) > 200
    assert set(Counter(record["evasion"] for record in truth)) == set(EVASIONS)
    assert set(Counter(record["platform"] for record in truth)) == set(PLATFORMS)
    assert any(len(record["labels"]) > 1 for record in truth)
    hard_groups = {record["group"] for record in truth if record["kind"] == "hard_negative"}
    expected = {"official_notice", "lawful_procedure", "recruitment", "tech_transfer", "cancellation_defense"}
    assert expected <= hard_groups


def test_unlicensed_agency_follows_the_registry(world: World, truth: list[dict], tmp_path: Path) -> None:
    path = write_registry(world.population.registry, tmp_path / "registry.csv")
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["code", "name", "district"]
    codes = {row["code"] for row in rows}
    names = {row["name"] for row in rows}
    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert len(codes) == len(rows)
    for record in truth:
        assert record["in_registry"] == (record["seller"] in names)
        if record["agency_code"] and not record["in_registry"]:
            assert record["agency_code"] not in codes  # a claimed code that is not registered
        expected = record["offers_patent_agency"] and not record["in_registry"]
        assert ("unlicensed_agency" in record["labels"]) == expected, record
    assert any(r["agency_code"] and not r["in_registry"] for r in truth)
    assert any(not r["agency_code"] and r["in_registry"] for r in truth)


def test_reposts_are_near_duplicates_on_another_platform(world: World, truth: list[dict]) -> None:
    by_id = {record["id"]: record for record in truth}
    reposts = [record for record in truth if record["duplicate_of"]]
    assert len(reposts) > 30
    for record in reposts:
        original = by_id[record["duplicate_of"]]
        assert original["duplicate_of"] is None
        assert record["platform"] != original["platform"]
        assert record["labels"] == original["labels"]
        copy, source = world.by_id(record["id"]), world.by_id(original["id"])
        assert copy.text != source.text
        assert source.paragraphs[0] in copy.text


def test_evasions_disguise_the_claim(world: World, truth: list[dict]) -> None:
    terms = world.corpus.slots["terms"]
    for record in truth:
        listing = world.by_id(record["id"])
        if record["evasion"] == "image":
            assert listing.image_text and listing.image_text not in listing.text
        elif record["evasion"] == "pinyin":
            assert any(spelling in " ".join(listing.paragraphs[:2]) for spelling in terms.values()), record
        elif record["evasion"] == "homophone":
            homophones = world.corpus.slots["homophones"].values()
            assert any(written in " ".join(listing.paragraphs[:2]) for written in homophones), record
        elif record["evasion"] == "traditional":
            assert listing.paragraphs[0] != OpenCC("t2s").convert(listing.paragraphs[0])
        else:
            assert listing.image_text is None


def test_keywords_index_finds_exactly_the_listings_that_list_them(world: World, truth: list[dict]) -> None:
    for platform in ("market", "services"):
        expected = [r["id"] for r in truth if r["platform"] == platform and "专利申请" in r["keywords"]]
        assert [world.listing(i).id for i in world.search(platform, "专利申请")] == expected


def test_huge_and_malformed_quirks_are_single_market_listings(truth: list[dict]) -> None:
    quirks = Counter((record["quirk"], record["platform"]) for record in truth if record["quirk"])
    assert quirks == {("huge", "market"): 1, ("malformed", "market"): 1}


def test_a_hundred_thousand_listings_are_served_from_small_indexes(tmp_path: Path) -> None:
    world = World(seed=5, listings=100_000)
    assert world.count == 100_000
    assert not hasattr(world, "listings")
    assert sum(len(index) for index in world.by_platform.values()) == 100_000
    config = SimulatorConfig(seed=5, listings=100_000, out_dir=tmp_path, write_files=False)
    with SimulatorServer(config, world=world) as server:
        last = world.truth_of(99_999, server.endpoints)
        page = httpx.get(last["url"])
        assert page.status_code == 200 and "L099999" in page.text
        results = httpx.get(server.endpoints["market"] + "/search", params={"q": "商标注册", "page": 300})
        assert results.status_code == 200 and results.text.count('class="item-card"') == 20


def test_a_broken_corpus_file_is_named_in_the_error(tmp_path: Path) -> None:
    for path in CORPUS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "insider_channel.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("labels: [insider_channel]", "labels: [inside]"),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match=r"insider_channel\.yaml: labels: unknown labels \['inside'\]"):
        load_corpus(tmp_path)
    broken.write_text("kind: violation\nclaims: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"insider_channel\.yaml: invalid YAML"):
        load_corpus(tmp_path)


def test_quick_ground_truth_equals_the_record_of_each_full_listing(world: World) -> None:
    world.edit(5, {"title": "改过的标题", "labels": []})
    world.remove(6, "404")
    try:
        records = list(world.ground_truth(ENDPOINTS))
        assert records == [world.truth(world.listing(i), ENDPOINTS) for i in range(world.count)]
        assert records[5]["title"] == "改过的标题" and records[6]["status"] == "removed"
    finally:
        world.changes.clear()
