"""Who is speaking: the passages of a listing that report someone else's words (quotation scope).

A violation is a claim the author makes to win business. The same words quoted by a penalty decision
(当事人在网店发布“国家知识产权局指定代理”等内容), named by a warning (谨防声称有内部渠道的机构) or listed by a
platform rule (禁止使用“包过”“内部渠道”等用语) are reported speech. This module finds those passages, in the offsets
of the normalised text, so that rule evidence inside them does not count and the trained models do not read them
as the author's own words:

- a quotation (“…”, ‘…’, 「…」, 『…』, "…") is reported when a reporting word of the `before` lexicons stands
  just before it (发布, 宣称, 称, 谨防, 所谓 …) or a word of the `after` lexicons just after it (等, 名义,
  字样, 用语 …); quotations chained by 、 or nothing at all (“包过”“内部渠道”等) are reported together;
  in a text whose cue lists say that someone reports rather than solicits (`cue_solicitation` below 0.5: a news
  item, an explainer, a rule), every quotation is reported: there “包授权” is a term being talked about, not an offer;
- after a word of the `clause` lexicons (谨防, 警惕, 所谓 …) the rest of the clause is reported, after a word of the
  `sentence` lexicons (声称, 宣称, 号称, 听说, 请问, 禁止使用 …) the rest of the sentence;
- a sentence that a word of the `question` lexicons ends (合法吗, 是否允许, 行不行 …) is reported as a whole: it
  asks whether a practice is lawful ("把证挂靠给代理公司，这样行不行？"), it does not offer it. An ad's rhetorical
  questions ("想快速拿证吗？") end in other words and stay the author's own;
- a yes/no question (a sentence that a word of the `yes_no` lexicons ends: 吗) is reported as a whole in a text that
  does not solicit (`cue_solicitation` below 0.5) and where the sentence holds no first person or contact:
  "国家知识产权局认可的代理机构可以代理吗？" asks, "想走内部渠道拿证吗？加微信" offers; so is a question with a
  word of the `wh_question` lexicons (怎么, 如何, 哪里 …) in a sentence that ends with a question mark
  ("怎么找内部渠道加快授权？");
- a penalty or harm a word of the `consequence` lexicons names (一旦查出, 将被吊销, 依法予以处罚, 列入严重违法失信名单,
  被骗 …) makes its clause and the clause before it reported: they state what is punished ("挂证一旦查出将吊销执业证",
  "将资格证挂靠给代理机构的，一经查实依法予以处罚"), not an offer. A denial just before the word (不会被处罚) is none;
- a sentence that a word of the `definition` lexicons holds (是指, 指的是, 意思就是 …) is reported as a whole: it
  explains a term ("挂靠，指的是持证人将资格挂在机构名下"), it does not offer it;
- after a word of the `subject` lexicons (someone else as the subject: 王某, 烟台某代理机构) the rest of the sentence
  is reported (a penalty decision writes 某 for the party: "烟台某代理机构承诺包授权"), unless that sentence gives
  contact details, speaks in the first person or calls to act: a seller hiding its name behind 某 ("北京某代理公司
  直招，专利包授权，电话…", "某知名机构内部员工，加急下证，加微信") makes its own claim.
  Neither a consequence nor a definition counts where the passage speaks in the first person or gives contact
  details (我们的包过是指…, 加微信): there the author is explaining their own offer.

Quotation marks are found in the original text (the normaliser removes them between Chinese characters) and
mapped onto the normalised text with its offset map. The word lists live in `config/detector/rules.yaml`
(section `reported_speech`), so staff can extend them.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from detector.normalized import NormalizedText

Span = tuple[int, int]

# Opening mark → closing mark. Straight quotes open and close alike (short posts type 'nei部渠道' with apostrophes).
_QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』", "﹁": "﹂", "﹃": "﹄", '"': '"', "＂": "＂",
           "'": "'", "＇": "＇"}
_QUOTE_OPEN = re.compile("[" + re.escape("".join(_QUOTES)) + "]")
MAX_QUOTE_CHARS = 200
# Characters that may stand between the quotations of one chain (“包过”、“内部渠道”和“特批”): the normaliser keeps
# a quotation mark next to punctuation, so the marks themselves can be in the gap.
_CHAIN_GAP = frozenset("、,，和及与或/ +“”‘’\"「」『』")
MAX_CHAIN_GAP = 4
_CLAUSE_END = re.compile(r"[,，:：。!?;\n]")
_SENTENCE_END = re.compile(r"[。!?;\n]")
# A `question` word ends its sentence when at most this many characters (punctuation, a particle) follow it there.
QUESTION_TAIL = 2
# A `consequence` word is denied (不会被处罚, 不用担心被查处) when one of these stands at most DENIAL_WINDOW characters
# before it.
_DENIED = re.compile("不|没|无|免|别|担心")
DENIAL_WINDOW = 3
# Stands in for reported passages in the text the trained models read.
REPORTED_MARK = "〈引述〉"
# Lexicons of rules.yaml whose words say the author solicits business (contact details, prices, first person,
# calls to action) or that someone reports, regulates, explains, asks or hires. A list missing from the config
# counts 0. The trained solicitation model weighs their counts; rules-only mode uses `cue_solicitation`.
AD_CUES = ("cue_contact", "cue_price", "cue_first_person", "cue_call_to_action", "cue_phone", "cue_price_figure")
REPORT_CUES = ("cue_official_voice", "cue_law", "cue_warning", "cue_news", "cue_question", "cue_contract",
               "cue_job", "cue_rule", "cue_explainer", "cue_law_article", "cue_date", "cue_third_person")
# Cue lists that say the author speaks for themself or invites contact: a consequence or a definition in such a
# passage explains the author's own offer and is not reported.
OWN_VOICE_CUES = ("cue_first_person", "cue_contact", "cue_phone")
# Cue lists that make a sentence with someone else as its subject (某代理公司) the seller's own pitch.
SELLER_VOICE_CUES = (*OWN_VOICE_CUES, "cue_call_to_action")


@dataclass(frozen=True, slots=True)
class ReportedSpeech:
    """The `reported_speech` section of rules.yaml: lexicon names for each kind of cue and the window."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    clause: tuple[str, ...] = ()
    sentence: tuple[str, ...] = ()
    question: tuple[str, ...] = ()
    consequence: tuple[str, ...] = ()
    definition: tuple[str, ...] = ()
    window: int = 6
    yes_no: tuple[str, ...] = ()
    wh_question: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()

    @property
    def lexicons(self) -> tuple[str, ...]:
        return (*self.before, *self.after, *self.clause, *self.sentence, *self.question, *self.consequence,
                *self.definition, *self.yes_no, *self.wh_question, *self.subject)


def cue_solicitation(lexicon_counts: Mapping[str, int | float]) -> float:
    """Rules-only solicitation score: (1 + a) / (2 + a + r) for `a` soliciting and `r` reporting cue lists present
    (0.5 when the text has no cue at all, as a bare claim "下证快 不过退款")."""
    ad = sum(1 for name in AD_CUES if lexicon_counts.get(name))
    report = sum(1 for name in REPORT_CUES if lexicon_counts.get(name))
    return (1 + ad) / (2 + ad + report)


def quoted_spans(normalized: NormalizedText, offset: int = 0) -> list[Span]:
    """The insides of the quotations of a text, in normalised offsets (shifted by `offset`)."""
    original = normalized.original
    if not _QUOTE_OPEN.search(original):
        return []
    spans: list[Span] = []
    position = 0
    while (found := _QUOTE_OPEN.search(original, position)) is not None:
        opening = found.start()
        closing = original.find(_QUOTES[found.group()], opening + 1, opening + 1 + MAX_QUOTE_CHARS)
        newline = original.find("\n", opening + 1, closing if closing > 0 else None)
        if closing < 0 or newline >= 0:
            position = opening + 1
            continue
        start = bisect_left(normalized.starts, opening + 1)
        end = bisect_left(normalized.starts, closing)
        if end > start:
            spans.append((offset + start, offset + end))
        position = closing + 1
    return spans


def reported_spans(text: str, quotes: Sequence[Span], hits: Mapping[str, Sequence[Span]],
                   config: ReportedSpeech) -> list[Span]:
    """The reported passages of a normalised text: reported quotations and the scope of clause cues, merged."""
    spans: list[Span] = []
    solicitation = cue_solicitation({name: len(hits.get(name, ())) for name in (*AD_CUES, *REPORT_CUES)})
    reporting_text = solicitation < 0.5
    soliciting_text = solicitation >= 0.5
    for chain in _chains(text, quotes):
        first, last = chain[0], chain[-1]
        if reporting_text or _cue_before(first[0], hits, config.before, config.window) or \
                _cue_after(last[1], hits, config.after, config.window):
            spans.extend(chain)
    for names, boundary in ((config.clause, _CLAUSE_END), (config.sentence, _SENTENCE_END)):
        for name in names:
            for _, cue_end in hits.get(name, ()):
                stop = boundary.search(text, cue_end)
                end = stop.start() if stop else len(text)
                if end > cue_end:
                    spans.append((cue_end, end))
    for name in config.question:
        for cue_start, cue_end in hits.get(name, ()):
            stop = _SENTENCE_END.search(text, cue_end)
            end = stop.start() if stop else len(text)
            if end - cue_end <= QUESTION_TAIL:
                spans.append((_sentence_start(text, cue_start), end))
    own_voice = [span for name in OWN_VOICE_CUES for span in hits.get(name, ())]
    seller_voice = [span for name in SELLER_VOICE_CUES for span in hits.get(name, ())]
    for name in config.subject:
        for cue_start, cue_end in hits.get(name, ()):
            end = _end_of(text, cue_end, _SENTENCE_END)
            if end > cue_end and not _holds_any(seller_voice, (_sentence_start(text, cue_start), end)):
                spans.append((cue_end, end))
    if not soliciting_text:
        for name in config.yes_no:
            for cue_start, cue_end in hits.get(name, ()):
                stop = _SENTENCE_END.search(text, cue_end)
                end = stop.start() if stop else len(text)
                span = (_sentence_start(text, cue_start), end)
                if end - cue_end <= QUESTION_TAIL and not _holds_any(own_voice, span):
                    spans.append(span)
        for name in config.wh_question:
            for cue_start, cue_end in hits.get(name, ()):
                stop = _SENTENCE_END.search(text, cue_end)
                span = (_sentence_start(text, cue_start), stop.start() if stop else len(text))
                if stop and stop.group() == "?" and not _holds_any(own_voice, span):
                    spans.append(span)
    for name in config.consequence:
        for cue_start, cue_end in hits.get(name, ()):
            if _DENIED.search(text, max(0, cue_start - DENIAL_WINDOW), cue_start):
                continue
            sentence_start = _sentence_start(text, cue_start)
            previous = _clause_start(text, _clause_start(text, cue_start, sentence_start) - 1, sentence_start)
            span = (previous, _end_of(text, cue_end, _CLAUSE_END))
            if not _holds_any(own_voice, span):
                spans.append(span)
    for name in config.definition:
        for cue_start, cue_end in hits.get(name, ()):
            span = (_sentence_start(text, cue_start), _end_of(text, cue_end, _SENTENCE_END))
            if not _holds_any(own_voice, span):
                spans.append(span)
    return _merge(spans)


def mask_reported(text: str, spans: Sequence[Span]) -> str:
    """The text with each reported passage replaced by REPORTED_MARK (what the trained models read)."""
    if not spans:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        pieces.append(REPORTED_MARK)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def overlaps(spans: Sequence[Span], start: int, end: int) -> bool:
    """Whether `[start, end)` shares a character with one of the sorted, disjoint `spans`."""
    index = bisect_right(spans, (end, -1)) - 1
    return index >= 0 and spans[index][1] > start


def _chains(text: str, quotes: Sequence[Span]) -> list[list[Span]]:
    chains: list[list[Span]] = []
    for span in sorted(quotes):
        if chains and all(c in _CHAIN_GAP for c in text[chains[-1][-1][1]:span[0]]) \
                and span[0] - chains[-1][-1][1] <= MAX_CHAIN_GAP:
            chains[-1].append(span)
        else:
            chains.append([span])
    return chains


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence holding `position` begins (after the previous sentence end, or at 0)."""
    return max(text.rfind(mark, 0, position) for mark in "。!?;\n") + 1


def _clause_start(text: str, position: int, floor: int) -> int:
    """Where the clause holding `position` begins, not before `floor` (the start of its sentence)."""
    return max(floor, max(text.rfind(mark, floor, max(position, floor)) for mark in ",，:：") + 1)


def _end_of(text: str, position: int, boundary: re.Pattern[str]) -> int:
    stop = boundary.search(text, position)
    return stop.start() if stop else len(text)


def _holds_any(spans: Sequence[Span], region: Span) -> bool:
    return any(region[0] <= start and end <= region[1] for start, end in spans)


def _cue_before(position: int, hits: Mapping[str, Sequence[Span]], names: Sequence[str], window: int) -> bool:
    return any(position - window <= end <= position for name in names for _, end in hits.get(name, ()))


def _cue_after(position: int, hits: Mapping[str, Sequence[Span]], names: Sequence[str], window: int) -> bool:
    return any(position <= start <= position + min(window, 2) for name in names for start, _ in hits.get(name, ()))


def _merge(spans: Sequence[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
