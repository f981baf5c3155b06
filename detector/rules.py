"""Rules staff can read and edit (`config/detector/rules.yaml`), matched in one Aho-Corasick pass.

A rule gives a label and a weight when its wording is present: a list of `phrases`, two word lists `near` each
other in the same sentence (with `same_clause`, with no comma, 、 or colon between them), or a `regex`. A match
is dropped when a word of an `unless_before` list stands shortly before it in the same sentence (谨防, 向, 经 …),
an `unless_after` word shortly after it (答辩, 为准 …), an `unless_between` word between the two words of a `near`
match (商标局从不指定, 商标注册没有绿色通道), or an `unless_anywhere` word anywhere in the text
(招聘 …); with `context_in_clause` the words before and after count only inside the match's clause, between
commas, 、 or colons ("若没有合适的，可以变更发明人" keeps its claim); a rule with `only_with` lists
needs a word of them somewhere in the text (a refund promise counts only where a trademark or patent is the
matter), and one with `only_in` a word of those lists as well, whatever `only_with` found (a notice charging for a
certificate counts only where it addresses someone: 您的商标注册证); one with `other_trade` is dropped where a word of
those lists is in the text and none of its `own_trade` lists (a driving school's 包过, a builder's 挂靠). For a
rule on the seller name, "in the text" means in the seller name or the listing's content (`analyze(listing=...)`):
an official body's name on its own job ad or notice is not a shop posing as it.
That is how a warning or a lawful statement ("向国家知识产权局提交") is told apart from a claim ("国家知识产权局指定").
A match inside reported speech (`detector.speech`: a quoted ad in a penalty decision, the claim a warning names) is
dropped too.

The engine gives evidence (`matches`) and stable numeric features (`features`) for the trained models.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ahocorasick_rs import AhoCorasick

from core.config import load_model, validate
from core.settings import config_dir
from detector.normalized import NormalizedText, fold_variant
from detector.rules_file import FIELD_KINDS, RULE_LABELS, RuleEntry, RulesFile
from detector.scan import Scanner
from detector.speech import ReportedSpeech, Span, overlaps, quoted_spans, reported_spans

_CLAUSE_END = re.compile(r"[。!?;\n]")
# Marks that end a clause inside a sentence (normalised text: full-width commas and colons are half-width), and the
# question mark of a lead question, which ends no sentence for `near` (below).
_CLAUSE_MARK = re.compile(r"[,、:?]")
# An ad's short lead question and its answer are one sentence for `near` ("评职称缺专利？包授权"; "有专代证闲着？
# 挂我所"): a question mark at most this many characters after the sentence's start. (A question that does not
# solicit is reported speech, so a pair reaching into it is dropped all the same.)
LEAD_QUESTION_MAX = 16
# The automaton's tag of `other_words` (not a lexicon name: rules.yaml's names are identifiers).
_OTHER_WORD = "other words"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule that fired, with its span in the normalised text."""

    label: str
    rule: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    label: str
    weight: float
    fields: tuple[str, ...] = ("content",)
    phrases: tuple[str, ...] = ()
    near: tuple[str, str] | None = None
    within: int = 6
    ordered: bool = False
    same_clause: bool = False
    regex: str | None = None
    unless_before: tuple[str, ...] = ()
    unless_after: tuple[str, ...] = ()
    unless_between: tuple[str, ...] = ()
    unless_within: int = 10
    unless_after_within: int | None = None
    context_in_clause: bool = False
    unless_anywhere: tuple[str, ...] = ()
    only_with: tuple[str, ...] = ()
    only_in: tuple[str, ...] = ()
    other_trade: tuple[str, ...] = ()
    own_trade: tuple[str, ...] = ()


@dataclass(slots=True)
class Analysis:
    """Everything one pass over a text found: kept matches, suppressed ones, word-list counts, and the passages
    that report someone else's words (sorted, disjoint)."""

    matches: list[RuleMatch] = field(default_factory=list)
    suppressed: list[RuleMatch] = field(default_factory=list)
    hits: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    reported: list[Span] = field(default_factory=list)

    @property
    def lexicon_counts(self) -> dict[str, int]:
        return {name: len(spans) for name, spans in self.hits.items() if not name.startswith("rule:")}

    def own_hits(self) -> dict[str, list[tuple[int, int]]]:
        """The word-list hits outside reported passages: the author's own words, which the seller name's rules read
        (a warning's account of what impostors demand, 以货到付款方式发送, is not its publisher asking for money)."""
        if not self.reported:
            return self.hits
        own = {name: [span for span in spans if not overlaps(self.reported, *span)]
               for name, spans in self.hits.items()}
        return {name: spans for name, spans in own.items() if spans}


def label_scores(matches: list[RuleMatch]) -> dict[str, float]:
    """Rules-only score per label: noisy-or over the distinct rules that fired (each at its weight)."""
    best: dict[tuple[str, str], float] = {}
    for match in matches:
        key = (match.label, match.rule)
        best[key] = max(best.get(key, 0.0), match.weight)
    miss: dict[str, float] = defaultdict(lambda: 1.0)
    for (label, _), weight in best.items():
        miss[label] *= 1.0 - weight
    return {label: round(1.0 - miss[label], 4) if label in miss else 0.0 for label in RULE_LABELS}


class RuleEngine:
    """Compiled rules of one config dir; safe to share between threads (read-only after construction)."""

    def __init__(self, lexicons: Mapping[str, list[str]], rules: list[Rule], source: str = "<rules>",
                 reported_speech: ReportedSpeech | None = None, patterns: Mapping[str, str] | None = None,
                 other_words: Iterable[str] = ()) -> None:
        self.reported_speech = reported_speech or ReportedSpeech()
        self.patterns = dict(patterns or {})
        self._pattern_names = {f"p{index}": name for index, name in enumerate(self.patterns)}
        self._patterns = (
            Scanner("|".join(f"(?P<{key}>{self.patterns[name]})" for key, name in self._pattern_names.items()))
            if self.patterns
            else None
        )
        self.lexicons = {name: tuple(dict.fromkeys(fold_variant(t) for t in terms)) for name, terms in lexicons.items()}
        self.rules = list(rules)
        self.source = source
        tags: dict[str, list[str]] = defaultdict(list)
        for name, terms in self.lexicons.items():
            for term in terms:
                tags[term].append(name)
        for rule in self.rules:
            for phrase in rule.phrases:
                tags[fold_variant(phrase)].append(f"rule:{rule.id}")
        for word in other_words:
            tags[fold_variant(word)].append(_OTHER_WORD)
        self._automaton = AhoCorasick(list(tags))
        self._names_of = [tuple(names) for names in tags.values()]
        self._rules_of = {kind: [rule for rule in self.rules if kind in rule.fields] for kind in FIELD_KINDS}
        self._phrase_key = {rule.id: f"rule:{rule.id}" for rule in self.rules}
        # What a rule needs found before it can match: both word lists of `near`, else its phrases or regex.
        self._needs = {rule.id: frozenset(rule.near or (self._phrase_key[rule.id],)) for rule in self.rules}
        regex_rules = [rule for rule in self.rules if rule.regex]
        self._regex_rules = {f"r{index}": rule for index, rule in enumerate(regex_rules)}
        self._regex = (
            Scanner("|".join(f"(?P<{key}>{rule.regex})" for key, rule in self._regex_rules.items()))
            if regex_rules
            else None
        )
        self.feature_names: tuple[str, ...] = (
            *(f"label:{label}" for label in RULE_LABELS),
            *(f"suppressed:{label}" for label in RULE_LABELS),
            *(f"rule:{rule.id}" for rule in self.rules if "content" in rule.fields),
            *(f"lex:{name}" for name in (*self.lexicons, *self.patterns)),
            "speech:reported",
        )
        # Features' keys made once: a page's analysis fills a copy of the zeros by look-ups, not string formatting.
        self._zero_features = dict.fromkeys(self.feature_names, 0.0)
        self._label_keys = {label: f"label:{label}" for label in RULE_LABELS}
        self._lexicon_keys = {name: f"lex:{name}" for name in (*self.lexicons, *self.patterns)
                              if not name.startswith("rule:")}

    @classmethod
    def from_config(cls, directory: Path | None = None) -> RuleEngine:
        path = (directory or config_dir()) / "detector" / "rules.yaml"
        return cls.from_file(load_model(RulesFile, path), str(path))

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<rules>") -> RuleEngine:
        """The engine for rules.yaml's content already read (`source` names it in errors)."""
        return cls.from_file(validate(RulesFile, data, Path(source)), source)

    @classmethod
    def from_file(cls, config: RulesFile, source: str) -> RuleEngine:
        speech = config.reported_speech
        reported_speech = ReportedSpeech(tuple(speech.before), tuple(speech.after), tuple(speech.clause),
                                         tuple(speech.sentence), tuple(speech.question), tuple(speech.consequence),
                                         tuple(speech.definition), speech.window, tuple(speech.yes_no),
                                         tuple(speech.wh_question), tuple(speech.subject))
        rules = [_rule(entry) for entry in config.rules]
        return cls(config.lexicons, rules, source, reported_speech, config.patterns, config.other_words)

    def analyze(self, text: str | NormalizedText, field_kind: str = "content",
                quotes: list[Span] | None = None,
                listing: Mapping[str, list[tuple[int, int]]] | None = None) -> Analysis:
        """One pass over a normalised text: rule matches (kept and suppressed), word-list counts and reported
        passages. `quotes` are the quotations of the text (`detector.speech.quoted_spans`); given a
        NormalizedText they are found here. `listing` is the word lists the rest of the listing holds (the
        content's hits, when this text is its seller name): the conditions on words anywhere in the listing
        (`unless_anywhere`, `only_with`, `only_in`, `other_trade`, `own_trade`) read them too."""
        if isinstance(text, NormalizedText):
            if quotes is None:
                quotes = quoted_spans(text)
            text = text.text
        hits: dict[str, list[tuple[int, int]]] = defaultdict(list)
        names_of = self._names_of
        for index, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            span = (start, end)  # one tuple for the several lists a word is in
            for name in names_of[index]:
                hits[name].append(span)
        if _OTHER_WORD in hits:
            _drop_words_inside(hits, hits.pop(_OTHER_WORD))
        if self._regex is not None and field_kind == "content":
            for found in self._regex.finditer(text):
                if found.lastgroup and found.end() > found.start():
                    hits[f"rule:{self._regex_rules[found.lastgroup].id}"].append(found.span())
        if self._patterns is not None and field_kind == "content":
            for found in self._patterns.finditer(text):
                if found.lastgroup and found.end() > found.start():
                    hits[self._pattern_names[found.lastgroup]].append(found.span())
        clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)]
        pair_ends = _pair_ends(text, clause_ends)
        reported = reported_spans(text, quotes or [], hits, self.reported_speech) if field_kind == "content" else []
        analysis = Analysis(hits=hits, reported=reported)
        anywhere: Mapping[str, list[tuple[int, int]]] = hits if listing is None else {**listing, **hits}
        present = hits.keys()  # only words found have a key (an empty list is never made)
        for rule in self._rules_of.get(field_kind, ()):
            if not self._needs[rule.id] <= present:
                continue
            for start, end in self._candidate_spans(rule, text, hits, pair_ends):
                match = RuleMatch(rule.label, rule.id, start, end, rule.weight)
                if (overlaps(reported, start, end)
                        or self._suppressed(rule, text, start, end, hits, clause_ends, anywhere)):
                    analysis.suppressed.append(match)
                else:
                    analysis.matches.append(match)
        return analysis

    def matches(self, text: str | NormalizedText, field_kind: str = "content") -> list[RuleMatch]:
        """Rule matches that stand (not suppressed by their context), in normalised offsets."""
        return self.analyze(text, field_kind).matches

    def features(self, text: str | NormalizedText) -> dict[str, float]:
        """Numeric features with stable names (`feature_names`) for a normalised listing text."""
        return self.features_from(self.analyze(text))

    def features_from(self, analysis: Analysis) -> dict[str, float]:
        values = self._zero_features.copy()
        label_keys = self._label_keys
        for label, score in label_scores(analysis.matches).items():
            values[label_keys[label]] = score
        for match in analysis.suppressed:
            values[f"suppressed:{match.label}"] += 1.0
        for match in analysis.matches:
            key = f"rule:{match.rule}"
            if key in values:
                values[key] = 1.0
        lexicon_keys = self._lexicon_keys
        for name, spans in analysis.hits.items():  # the names of `lexicon_counts`
            if (lexicon_key := lexicon_keys.get(name)) is not None:
                values[lexicon_key] = float(len(spans))
        values["speech:reported"] = float(len(analysis.reported))
        return values

    def _candidate_spans(
        self, rule: Rule, text: str, hits: dict[str, list[tuple[int, int]]], pair_ends: list[int]
    ) -> list[tuple[int, int]]:
        if rule.near is None:
            own = hits.get(self._phrase_key[rule.id])
            return _outermost(own) if own else []
        first, second = hits.get(rule.near[0]), hits.get(rule.near[1])
        if not first or not second:
            return []
        # Only words of the second list that begin within `within` (plus the longest word's length) of a first
        # word's span can be near it: they are found by bisection, not by trying every pair of a long page.
        second = sorted(second)
        second_starts = [b_start for b_start, _ in second]
        reach = rule.within + max(b_end - b_start for b_start, b_end in second)
        spans: set[tuple[int, int]] = set()
        for a_start, a_end in first:
            low = bisect_left(second_starts, a_start - reach)
            high = bisect_right(second_starts, a_end + rule.within)
            for b_start, b_end in second[low:high]:
                if a_start < b_end and b_start < a_end:
                    continue
                if rule.ordered and b_start < a_end:
                    continue
                gap = b_start - a_end if b_start >= a_end else a_start - b_end
                if gap > rule.within:
                    continue
                start, end = min(a_start, b_start), max(a_end, b_end)
                if bisect_left(pair_ends, start) != bisect_left(pair_ends, end):
                    continue
                if rule.same_clause and _CLAUSE_MARK.search(text, start, end):
                    continue
                spans.add((start, end))
        return _outermost(spans)

    @staticmethod
    def _suppressed(
        rule: Rule, text: str, start: int, end: int, hits: dict[str, list[tuple[int, int]]], clause_ends: list[int],
        anywhere: Mapping[str, list[tuple[int, int]]],
    ) -> bool:
        if any(anywhere.get(name) for name in rule.unless_anywhere):
            return True
        if rule.only_with and not any(anywhere.get(name) for name in rule.only_with):
            return True
        if rule.only_in and not any(anywhere.get(name) for name in rule.only_in):
            return True
        if (rule.other_trade and any(anywhere.get(name) for name in rule.other_trade)
                and not any(anywhere.get(name) for name in rule.own_trade)):
            return True
        clause_index = bisect_right(clause_ends, start - 1)
        clause_start = clause_ends[clause_index - 1] + 1 if clause_index else 0
        clause_end = clause_ends[clause_index] if clause_index < len(clause_ends) else 1 << 30
        after = rule.unless_within if rule.unless_after_within is None else rule.unless_after_within
        low = max(clause_start, start - rule.unless_within)
        high = min(clause_end, end + after)
        if rule.context_in_clause:
            low = max(low, *(text.rfind(mark, low, start) + 1 for mark in ",、:"))
            if (found := _CLAUSE_MARK.search(text, end, high)) is not None:
                high = found.start()
        # A context word may overlap the match ("不保证" before "保证授权"), as long as it begins before it. With
        # `context_in_clause`, when the two words of a `near` match stand in two clauses, a context word before the
        # later word counts too: it opens that word's clause ("即使购买了专利，也不能用于职称申报").
        inner = _CLAUSE_MARK.search(text, start, end) if rule.near is not None and rule.context_in_clause else None
        inner_low = inner.end() if inner is not None else end
        for name in rule.unless_before:
            spans = hits.get(name)
            if spans and any((low <= h_start < start or inner_low <= h_start) and h_end <= end
                             for h_start, h_end in spans):
                return True
        for name in rule.unless_after:
            spans = hits.get(name)
            if spans and any(start < h_start and end <= h_end <= high for h_start, h_end in spans):
                return True
        return bool(rule.unless_between) and _word_between(rule, start, end, hits)


def _word_between(rule: Rule, start: int, end: int, hits: Mapping[str, list[tuple[int, int]]]) -> bool:
    """Whether a word of `unless_between` stands inside a `near` match without overlapping a word of its two lists
    there: it comes between them ("商标局从不指定", "商标注册没有绿色通道"), not inside them (非官方)."""
    if rule.near is None:
        return False
    own = [(w_start, w_end) for name in rule.near for w_start, w_end in hits.get(name, ())
           if start <= w_start and w_end <= end]
    for name in rule.unless_between:
        for h_start, h_end in hits.get(name, ()):
            if (start < h_start and h_end < end
                    and not any(h_start < w_end and w_start < h_end for w_start, w_end in own)):
                return True
    return False


def _pair_ends(text: str, clause_ends: list[int]) -> list[int]:
    """The sentence ends that two words of a `near` rule may not cross: every one but the question mark of a
    lead question (at most LEAD_QUESTION_MAX characters after the previous end)."""
    ends = []
    previous = -1
    for position in clause_ends:
        if not (text[position] == "?" and position - previous - 1 <= LEAD_QUESTION_MAX):
            ends.append(position)
        previous = position
    return ends


def _drop_words_inside(hits: dict[str, list[tuple[int, int]]], longer: list[tuple[int, int]]) -> None:
    """Drop the words found strictly inside a longer word that means something else (关系 in 合作关系, 查处 in
    审查处); a list word spanning the whole longer word stays."""
    for name in list(hits):
        kept = [(start, end) for start, end in hits[name]
                if not any(o_start <= start and end <= o_end and (start, end) != (o_start, o_end)
                           for o_start, o_end in longer)]
        if kept:
            hits[name] = kept
        else:
            del hits[name]


def _outermost(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans not inside another one ("国家知识产权局指定" keeps, "知识产权局指定" goes)."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda span: (span[0], -span[1])):
        if kept and kept[-1][0] <= start and end <= kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


def _rule(entry: RuleEntry) -> Rule:
    return Rule(
        id=entry.id,
        label=entry.label,
        weight=entry.weight,
        fields=tuple(entry.fields),
        phrases=tuple(entry.phrases),
        near=entry.near or None,
        within=entry.within,
        ordered=entry.ordered,
        same_clause=entry.same_clause,
        regex=entry.regex,
        unless_before=tuple(entry.unless_before),
        unless_after=tuple(entry.unless_after),
        unless_between=tuple(entry.unless_between),
        unless_within=entry.unless_within,
        unless_after_within=entry.unless_after_within,
        context_in_clause=entry.context_in_clause,
        unless_anywhere=tuple(entry.unless_anywhere),
        only_with=tuple(entry.only_with),
        only_in=tuple(entry.only_in),
        other_trade=tuple(entry.other_trade),
        own_trade=tuple(entry.own_trade),
    )
