"""A `Scanner` finds what `re.finditer` finds (spans, groups, which alternative matched, in order) while searching
only from the characters a match can begin with."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pytest

from detector.entities import EntityExtractor
from detector.rules import RuleEngine
from detector.scan import Scanner
from detector.training.real_corpus import DEFAULT_PATH as REAL_CORPUS

TEXT = ("中国商标受理中心，保注册，包注册，全包注册。国家知识产权局指定3个工作日下证，成功率达99%，¥500起，"
        "微信: abc_12345，电话 138-1234-5678，第十二条，2024年5月，王某称包过 1234567 qq号 12345")


def _found(matches: Iterable[re.Match[str]]) -> list[tuple[object, ...]]:
    return [(m.span(), m.lastgroup, m.groups()) for m in matches]


@pytest.mark.parametrize("pattern", [
    r"(?P<a>国家|中国)(?:商标|知识产权)|(?P<b>(?<![全礼套])[包保]注册)",  # joined alternatives, a look-behind first
    r"(?:¥|rmb) ?\d+|(?<!\d)\d++(?:万?(?:元|块))",                       # a category, a possessive repeat
    r"\d+(?:个)?工作日|[一二三四五六七八九十]+条",                          # a match can begin in several places
    r"(?<![a-z])(?:微信|qq)号?[^\w\n]{0,4}(?P<id>[a-z0-9_]{5,})",       # a negated class after the first character
    r"\s*下证",                                                         # an optional prefix: its class and the next
])
def test_a_scanner_finds_the_matches_finditer_finds(pattern: str) -> None:
    compiled = re.compile(pattern)
    assert _found(Scanner(pattern).finditer(TEXT)) == _found(compiled.finditer(TEXT))
    assert Scanner(pattern)._starts is not None


def test_a_hit_that_begins_inside_the_previous_match_is_not_a_match() -> None:
    # finditer takes 包注册 from 包包注册's second character on and does not report 注册 inside it again.
    pattern = r"包?包注册|注册"
    assert [m.span() for m in Scanner(pattern).finditer("包包注册注册")] == [(0, 4), (4, 6)]
    assert [m.span() for m in re.finditer(pattern, "包包注册注册")] == [(0, 4), (4, 6)]


@pytest.mark.parametrize("pattern", [r"a*", r"(?i)abc", r".注册", r"[^a]b", r"(?x) a b  # comment"])
def test_patterns_whose_first_characters_are_not_known_are_searched_as_they_are(pattern: str) -> None:
    scanner = Scanner(pattern)
    assert scanner._starts is None
    text = "aab ABC 包注册 ab xb aa"
    assert [m.span() for m in scanner.finditer(text)] == [m.span() for m in re.finditer(pattern, text)]


def test_the_rules_and_entity_patterns_find_on_real_text_what_finditer_finds() -> None:
    texts = [json.loads(line)["text"].lower() for line in REAL_CORPUS.read_text(encoding="utf-8").splitlines()]
    rules = RuleEngine.from_config()
    scanners = [scanner for scanner in (rules._regex, rules._patterns) if scanner is not None]
    scanners += [scanner for _, scanner in EntityExtractor.from_config()._patterns]
    for scanner in scanners:
        assert scanner._starts is not None, scanner.regex.pattern
        for text in texts:
            assert _found(scanner.finditer(text)) == _found(scanner.regex.finditer(text))


@pytest.mark.parametrize("run", ["1", "a", "a."], ids=["digits", "letters", "dotted"])
def test_a_page_of_one_long_run_is_read_once_not_from_each_of_its_characters(run: str) -> None:
    """The price cue (`\\d+…元`) and the e-mail pattern (`[a-z0-9._%+-]+@…`) were tried at every character of a run
    their first repeat reads, and read the run to its end each time: 10,000 digits cost the rules 1.8 s, 20,000 the
    detector 7 s, and a seller's field of 200,000 digits (all the detector reads of a field) would hold the crawl's
    detector for 12 minutes, 1 MB for hours. Both are tried from the start of a run only, which finds the same
    matches; such a text is read like any other (within the suite's timeout of 600 s, where the old patterns needed
    hours for the 1 MB)."""
    from detector import Detector

    tail = " 联系邮箱 agent.x@ipagent.cn，报价 3000元"
    long = run * (1_000_000 // len(run)) + tail
    rules = RuleEngine.from_config()
    assert rules._patterns is not None
    assert [match.group() for match in rules._patterns.finditer(long) if match.group().endswith("元")] == ["3000元"]
    [email] = [scanner for kind, scanner in EntityExtractor.from_config()._patterns if kind == "email"]
    assert [match.group() for match in email.finditer(long)] == ["agent.x@ipagent.cn"]

    text = run * (190_000 // len(run)) + tail
    detection = Detector.load().detect({"id": "run", "platform": "market", "url": "http://h/item/run",
                                        "title": "商标注册", "text": text, "images": []})
    assert "agent.x@ipagent.cn" in [entity["value"] for entity in detection.entities if entity["type"] == "email"]


def test_latin_words_are_the_runs_of_letters_standing_alone_read_once() -> None:
    """Pinyin is looked for in Latin words standing alone, not in ids. The pattern that found them ended with a
    look-ahead (`[a-z]+(?![a-z0-9_-])`) and was tried again from every letter of a run followed by a digit, reading
    it to its end each time: 20,000 letters and a digit took 2.5 s, a field of 1 MB hours. Each run is read once."""
    from detector.sound import latin_words

    text = "zhi_yuan daiban123 sb-200 shangbiao，zhuce a-b x"
    assert [word.group() for word in latin_words(text)] == ["shangbiao", "zhuce", "x"]
    assert latin_words("a" * 1_000_000 + "1") == () and len(latin_words("a" * 1_000_000)) == 1


def test_a_match_running_to_the_end_of_a_long_page_is_matched_once() -> None:
    """A link runs on over `[\\w./?=&%-]+`: on a page of `www.www.…`, the places a match can begin were looked for
    inside the first match too, and the link pattern matched again from each of them (1.2 s for 50,000 characters,
    hours for 1 MB). The search for the next begins where the last match ended."""
    rules = RuleEngine.from_config()
    assert rules._patterns is not None
    text = "www." * 250_000
    assert _found(rules._patterns.finditer(text)) == _found(rules._patterns.regex.finditer(text))
    assert [(m.span(), rules._pattern_names[m.lastgroup or ""]) for m in rules._patterns.finditer(text)] == \
        [((0, len(text)), "web_link")]


def test_a_line_of_its_own_naming_the_office_is_looked_for_from_each_line_once() -> None:
    """`impersonation.office_sender_demand` reads an office named at the start of a line. Its `\\s*` crossed line
    ends, so from every line start of a page of blank lines it read every blank line after it (13 s for a field of
    200,000 characters of 50-space lines, the 1 MB hours). The space before the name is read within its line:
    the rule fires on the same lines."""
    rules = RuleEngine.from_config()
    assert rules._regex is not None
    rule_of = {key: rule.id for key, rule in rules._regex_rules.items()}

    def fired(text: str) -> list[tuple[str, str]]:
        assert rules._regex is not None
        return [(rule_of[m.lastgroup or ""], m.group()) for m in rules._regex.finditer(text)
                if rule_of[m.lastgroup or ""] == "impersonation.office_sender_demand"]

    office = "impersonation.office_sender_demand"
    assert fired("前文\n\n   国家知识产权局通知:请缴费") == [(office, "   国家知识产权局通知:")]
    assert fired(("\n" + " " * 50) * 20_000 + "x") == []
