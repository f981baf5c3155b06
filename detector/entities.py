"""Entities of a listing: agency names and codes, contacts, Shanghai districts and prices.

Districts are the names of `config/detector/entities.yaml` found in one Aho-Corasick pass, overlapping names
resolved as spaCy's EntityRuler resolves them (longest first, then leftmost); the shaped entities (phone numbers,
WeChat and QQ ids, 5-digit agency codes, prices, agency names) come from precompiled patterns. Both run on the
normalised text, so "V信", "扣扣" and split digits are found, and are reported in
original offsets with the original characters.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from ahocorasick_rs import AhoCorasick
from pydantic import Field

from core.config import StrictModel, load_model
from core.districts import ENTITIES_FILE, Districts
from core.lead import Entity
from core.settings import config_dir
from detector.normalized import NormalizedText, fold_variant
from detector.scan import Scanner

ENTITY_TYPES = ("agency", "agency_code", "phone", "wechat", "qq", "email", "district", "price")
_DIGIT_SEP = r"[ \-.]?"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+$")


Words = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class EntitiesFile(StrictModel):
    """`config/detector/entities.yaml`: the districts, and the words the contact and agency-name patterns use."""

    districts: Districts
    wechat_words: Words
    qq_words: Words
    agency_name_endings: Words
    agency_name_stops: Words


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted({fold_variant(w) for w in words}, key=len, reverse=True))


class EntityExtractor:
    """Built once per config dir (the spaCy pipeline is the costly part); `extract` is thread-compatible."""

    def __init__(
        self,
        districts: dict[str, list[str]],
        wechat_words: list[str],
        qq_words: list[str],
        agency_endings: list[str],
        agency_stops: list[str],
    ) -> None:
        names = {fold_variant(name): canonical for canonical, aliases in districts.items()
                 for name in (canonical, *aliases)}
        self._districts = AhoCorasick(list(names))
        self._district_of = list(names.values())
        phone = rf"(?<![\d])(?:1[3-9]\d(?:{_DIGIT_SEP}\d){{8}}|0\d{{2,3}}-?\d{{7,8}}|400-?\d{{3}}-?\d{{4}})(?![\d])"
        patterns = [
            # From the start of a run of the characters a name is written with: tried at each of them, the run was
            # read to its end from every one (a page of 2 MB of letters took hours).
            ("email", re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")),
            ("phone", re.compile(phone)),
            ("wechat", re.compile(
                rf"(?<![a-z])(?:{_alternation(wechat_words)})(?:号|id)?(?:是|为)?[^\w\n]{{0,4}}"
                rf"(?P<id>[a-z][-_a-z0-9]{{5,19}}|1[3-9]\d(?:{_DIGIT_SEP}\d){{8}})(?![-_a-z0-9])")),
            ("qq", re.compile(
                rf"(?<![a-z])(?:{_alternation(qq_words)})(?:号)?(?:是|为)?[^\w\n]{{0,4}}(?P<id>[1-9](?:{_DIGIT_SEP}\d){{4,11}})(?![\d])")),
            ("agency_code", re.compile(
                r"(?:代理机构代码|机构代码|机构编号|代理机构编号|机构代码为|代码)[ :=：(]*(?P<id>\d{5})(?!\d)")),
            # A figure after a currency sign, or one with 元/块 or 万 per year after it. The figure is read once for
            # both endings and only from the start of a digit run (a run is not retried at each of its digits).
            ("price", re.compile(
                r"(?:¥|rmb|人民币) ?\d+(?:\.\d+)?(?:万)?"
                r"|(?<!\d)\d++(?:\.\d++)?(?:万?(?:元|块)|万(?=/?年|一年|每年))")),
            ("agency", re.compile(rf"(?:{_alternation(agency_endings)})(?:\((?:特殊)?普通合伙\))?")),
        ]
        # Searched from the characters a match can begin with (`detector.scan`): most of a page is skipped in C.
        self._patterns = [(kind, Scanner(pattern)) for kind, pattern in patterns]
        self._same_as_phone = re.compile(rf"(?:{_alternation(wechat_words)})同号|同微信|微信同号")
        self._agency_stop = re.compile(rf"(?:{_alternation(agency_stops)})")

    @classmethod
    def from_config(cls, directory: Path | None = None) -> EntityExtractor:
        config = load_model(EntitiesFile, (directory or config_dir()) / ENTITIES_FILE)
        return cls(config.districts, config.wechat_words, config.qq_words, config.agency_name_endings,
                   config.agency_name_stops)

    def extract(self, normalized: NormalizedText, field: str) -> list[Entity]:
        """Entities of one field, in original offsets, in order of appearance."""
        text = normalized.text
        found: list[Entity] = []
        spans: set[tuple[str, int, int]] = set()

        def add(kind: str, start: int, end: int, value: str | None = None) -> None:
            begin, finish = normalized.to_original(start, end)
            if (kind, begin, finish) in spans or begin == finish:
                return
            spans.add((kind, begin, finish))
            original = normalized.original[begin:finish]
            found.append(Entity(type=kind, text=original, value=value if value is not None else original, field=field,
                                start=begin, end=finish))

        phones: list[tuple[int, int]] = []
        for kind, pattern in self._patterns:
            for match in pattern.finditer(text):
                if kind == "agency":
                    start = self._agency_start(text, match.start())
                    add(kind, start, match.end(), text[start:match.end()])
                    continue
                start, end = match.span("id") if "id" in pattern.regex.groupindex else match.span()
                value = text[start:end]
                if kind in ("phone", "qq", "wechat") and value[:1].isdigit():
                    value = re.sub(r"\D", "", value)
                if kind == "phone":
                    phones.append((start, end))
                if kind == "wechat":
                    value = normalized.original_slice(start, end) if not value.isdigit() else value
                add(kind, start, end, value)
        if phones and self._same_as_phone.search(text):
            for start, end in phones:
                add("wechat", start, end, re.sub(r"\D", "", text[start:end]))
        for start, end, canonical in self.districts(text):
            add("district", start, end, canonical)
        found.sort(key=lambda e: (e["start"], e["type"]))
        return found

    def districts(self, text: str) -> list[tuple[int, int, str]]:
        """The district names in `text` (start, end, the district), in order; of overlapping names the longest is
        kept, then the leftmost ("浦东新区" rather than "浦东" or "新区")."""
        found = sorted(((start, end, self._district_of[index])
                        for index, start, end in self._districts.find_matches_as_indexes(text, overlapping=True)),
                       key=lambda name: (name[0] - name[1], name[0]))
        kept: list[tuple[int, int, str]] = []
        for start, end, canonical in found:
            if not any(start < other_end and other_start < end for other_start, other_end, _ in kept):
                kept.append((start, end, canonical))
        return sorted(kept)

    def _agency_start(self, text: str, ending_start: int) -> int:
        """Where an agency name begins: the Chinese run before its ending, cut after a stop word, ≤ 12 chars."""
        run = _CJK_RUN.search(text, max(0, ending_start - 12), ending_start)
        if run is None:
            return ending_start
        start = run.start()
        for stop in self._agency_stop.finditer(text, start, ending_start):
            start = stop.end()
        return start
