"""How key terms sound: toneless pinyin of characters and of Latin runs, and key terms found by sound.

Sellers dodge keyword lists with other characters of the same sound (内布渠到 for 内部渠道), pinyin mixed with
characters (商biao局), full pinyin (neibuqudao) and pinyin initials (GZJ). The tables here are built once from
pypinyin's dictionary, so matching a text is dictionary look-ups and a walk down a trie of syllables, never a
pypinyin call per character.

A character sounds like every one of its readings in use (polyphonic characters: the first reading and every one
a word of pypinyin's phrase list uses; tones ignored, ü as u); a key term sounds like pypinyin's reading of the
term as a word (银行 → yin hang).
"""
from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from ahocorasick_rs import AhoCorasick
from pypinyin import lazy_pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

_LATIN_RUN = re.compile(r"[a-z]+")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_VOWEL = re.compile("[aeiou]")
_HAS_LATIN = re.compile("[a-z]")
_HAS_DIGIT = re.compile("[0-9]")
# Words of letters and digits standing alone (c3): initials with a numeral typed as its digit are looked for there.
_LETTERS_AND_DIGITS = re.compile("[a-z0-9]+")
_NUMERAL_DIGITS = dict(zip("一二三四五六七八九", "123456789"))
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Chinese characters (for regex character classes)
_CJK_CHAR = re.compile(f"[{CJK}]")
# Sentences end here: context for a sound match is looked for in its own sentence only.
_SENTENCE_END = re.compile(r"[。!?;\n]")
_LONGEST_SYLLABLE = 6  # zhuang, shuang
READING_MIN_WORDS = 10
_END = ""  # trie key of the terms that end at a node (never a syllable)
_FIRST_CLASS = 0xF0000  # sound classes are written as characters of the supplementary private use area


@lru_cache(maxsize=8)
def latin_words(text: str) -> tuple[re.Match[str], ...]:
    """Latin words standing alone (not part of an id such as "daiban123", "zhi_yuan" or "sb-200"): pinyin is
    only looked for there. (What stands before and after a run of letters is checked here: a regex starting with a
    look-behind scans much slower, and one ending with a look-ahead, `[a-z]+(?![a-z0-9_-])`, was tried again from
    every letter of a run followed by a digit, read to its end each time: 20,000 letters and a digit took 2.5 s.)
    The words of the last texts are kept: the passes of normalising one field ask for them again and again (7.7
    times a five-listing page, mostly of a text asked for before)."""
    return tuple(_standalone(_LATIN_RUN, text))


def _standalone(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches of `pattern` not inside a longer id (sb-200, zhi_yuan): nothing of one stands on either side."""
    for word in pattern.finditer(text):
        if (word.start() == 0 or text[word.start() - 1] not in _ID_CHARS) and (
                word.end() == len(text) or text[word.end()] not in _ID_CHARS):
            yield word


def toneless(reading: str) -> str:
    """A pinyin reading without tone marks, ü written u (lǜ → lu, lve → lue): the form sounds are compared in."""
    return reading.translate(_tone_marks())


@lru_cache(maxsize=1)
def _tone_marks() -> dict[int, str]:
    """Translation table: each letter with a tone mark or diaeresis in pypinyin's readings → the bare letter."""
    marked = {char for readings in pinyin_dict.values() for char in readings if ord(char) > 0x7F and char != ","}
    table = {ord(char): "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
             for char in marked}
    table[ord("v")] = "u"
    return table


@lru_cache(maxsize=1)
def char_syllables() -> dict[str, tuple[str, ...]]:
    """Every Chinese character of pypinyin's dictionary → its toneless readings in use: the first, and every
    other one that at least `READING_MIN_WORDS` words of pypinyin's phrase list read it with (行: xing, hang; 传:
    chuan, zhuan; not 是 ti or 将 qiang, which turned 依次是 into 一次提 and 要将商标 into 要抢商标)."""
    marks = _tone_marks()
    in_words: Counter[tuple[str, str]] = Counter()
    for phrase, readings in phrases_dict.items():
        for char, reading in zip(phrase, readings):
            if len(reading) == 1:
                in_words[char, reading[0].translate(marks)] += 1
    table: dict[str, tuple[str, ...]] = {}
    for code, spelled in pinyin_dict.items():
        char = chr(code)
        sounds = tuple(dict.fromkeys(spelled.translate(marks).split(",")))
        if sounds and all(sounds):
            table[char] = (sounds[0], *(s for s in sounds[1:] if in_words[char, s] >= READING_MIN_WORDS))
    return table


@lru_cache(maxsize=1)
def sound_classes() -> tuple[dict[int, str], dict[str, tuple[str, ...]]]:
    """Characters read the same way (the same readings) share a class, written as one private-use character:
    a translation table for `str.translate` (character → its class; private-use characters → NUL, so none of
    a text's own is taken for a class) and each class's readings."""
    classes: dict[tuple[str, ...], str] = {}
    table: dict[int, str] = {}
    for char, readings in char_syllables().items():
        table[ord(char)] = classes.setdefault(readings, chr(_FIRST_CLASS + len(classes)))
    table.update({ord(code): "\0" for code in classes.values()})
    return table, {code: readings for readings, code in classes.items()}


@lru_cache(maxsize=1)
def latin_syllables() -> dict[str, str]:
    """Spellings of a syllable in Latin letters → the syllable (nv and lv are typed for nü and lü)."""
    spellings = {s: s for sounds in char_syllables().values() for s in sounds if _VOWEL.search(s)}
    for syllable in list(spellings):
        if syllable.startswith(("lu", "nu")):
            spellings.setdefault(syllable[0] + "v" + syllable[2:], syllable)
    return spellings


def term_syllables(term: str) -> tuple[str, ...] | None:
    """The toneless syllables of a Chinese term read as a word, or None when a character has no reading."""
    # pypinyin's stub types `errors` as returning a string; a list (one reading per character) is what it documents
    sounds = lazy_pinyin(term, errors=lambda chars: [""] * len(chars))  # type: ignore[arg-type, return-value]
    if len(sounds) != len(term) or not all(sounds):
        return None
    return tuple(toneless(s) for s in sounds)


def initials_table(terms: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Pinyin initials as sellers type them → the terms that have them (专利 → zl; several when ambiguous:
    zc → 注册, 职称), from each term's syllables. A numeral of a term is also typed as its digit beside the
    other initials (撤三 → cs and c3, the trade's slang), as 撤3 is written for 撤三."""
    table: dict[str, list[str]] = {}
    for term, sounds in terms.items():
        table.setdefault("".join(s[0] for s in sounds), []).append(term)
        with_digits = "".join(_NUMERAL_DIGITS.get(char, sound[0]) for char, sound in zip(term, sounds))
        if _HAS_DIGIT.search(with_digits) and _HAS_LATIN.search(with_digits):
            table.setdefault(with_digits, []).append(term)
    return {initials: tuple(found) for initials, found in table.items()}


@dataclass(frozen=True, slots=True)
class SoundMatch:
    """A span of the text that sounds like `term`; `units[k]` is the span that sounds like `term[k]`."""

    start: int
    end: int
    term: str
    units: tuple[tuple[int, int], ...]


class _Lattice:
    """The sound units of one text: each Chinese character (all its readings) and, inside standalone Latin words,
    every pinyin syllable (a word can split several ways: xian, xi an). Single spaces next to a Latin word are
    skipped between units ("neibu 渠道")."""

    __slots__ = ("text", "readings", "latin", "run_starts", "run_ends", "spaces")

    def __init__(self, text: str, words: Sequence[re.Match[str]]) -> None:
        self.text = text
        self.readings = char_syllables()
        self.latin: dict[int, list[tuple[int, str]]] = {}
        self.run_starts: set[int] = set()
        self.run_ends: set[int] = set()
        self.spaces: dict[int, int] = {}
        spellings = latin_syllables()
        for run in words:
            word, offset = run.group(), run.start()
            edges = {
                offset + a: [(offset + b, spellings[word[a:b]])
                             for b in range(a + 1, min(len(word), a + _LONGEST_SYLLABLE) + 1) if word[a:b] in spellings]
                for a in range(len(word))
            }
            self.latin.update({position: found for position, found in edges.items() if found})
            self.run_starts.add(run.start())
            self.run_ends.add(run.end())
        for space in re.finditer(" ", text):
            before, after = space.start(), space.end()
            if before in self.run_ends or after in self.run_starts:
                self.spaces[before] = after

    def sounds(self, position: int) -> tuple[str, ...] | None:
        """The readings of the character at `position`, None when it has none (looked up only where a walk goes,
        near the Latin words)."""
        return self.readings.get(self.text[position])

    def edges(self, position: int) -> list[tuple[int, tuple[str, ...]]]:
        """The units that can follow a match that reached `position`: (where the unit ends, its sounds)."""
        position = self.spaces.get(position, position)
        if position < len(self.text):
            sound = self.sounds(position)
            if sound is not None:
                return [(position + 1, sound)]
        return [(end, (syllable,)) for end, syllable in self.latin.get(position, ())]



class SoundIndex:
    """Key terms by their syllables; finds every span of a text that sounds like one of them.

    Two tries of the same terms: one by syllable (walked through Latin words, whose syllables are known only
    once the word is split), and the same trie keyed by sound class (every class with a reading of a syllable
    leads to its child). A Chinese text, translated to classes by one array look-up, is searched for every
    term's spellings in classes by one Aho-Corasick pass; the class trie is walked only from the starts of spans
    that are not the term as written, so that those matches come in the walk's order.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms: dict[str, tuple[str, ...]] = {}
        for term in terms:
            sounds = term_syllables(term) if len(term) >= 2 else None
            if sounds is not None:
                self.terms[term] = sounds
        self._root: dict[str, Any] = {}  # syllable → child node; _END → the terms that end here
        for term, sounds in self.terms.items():
            node = self._root
            for syllable in sounds:
                node = node.setdefault(syllable, {})
            node.setdefault(_END, []).append(term)
        self._longest = max(map(len, self.terms), default=0)
        self._classes, readings_of = sound_classes()
        # The same table as an array over all code points: a text is coded by one gather, where str.translate
        # looks every character up in a dict.
        self._class_points = np.arange(sys.maxunicode + 1, dtype=np.uint32)
        self._class_points[list(self._classes)] = [ord(code) for code in self._classes.values()]
        classes_of: dict[str, list[str]] = {}
        for code, readings in readings_of.items():
            for syllable in readings:
                classes_of.setdefault(syllable, []).append(code)
        by_class = _keyed_by_class(self._root, classes_of)
        # The first two levels as pairs of classes: where the walk starts.
        self._pair_nodes: dict[str, list[dict]] = {}
        for code, children in by_class.items():
            if code == _END:
                continue
            for child in children:
                for following, nodes in child.items():
                    if following != _END:
                        self._pair_nodes.setdefault(code + following, []).extend(nodes)
        # Every spelling of every term in classes (a few thousand: a syllable is a reading of few classes), found in
        # the coded text by one Aho-Corasick automaton (in Rust), each with the terms of each syllable sequence it
        # can be read as. Most terms found are written as they are; only the other spans need the walk.
        spellings: dict[str, list[list[str]]] = {}
        for sounds, found in _term_nodes(self._root, ()):
            for codes in itertools.product(*(classes_of.get(syllable, ()) for syllable in sounds)):
                spellings.setdefault("".join(codes), []).append(found)
        self._spellings = AhoCorasick(list(spellings))
        self._spelled_terms = list(spellings.values())

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> tuple[list[tuple[int, int]], list[SoundMatch]]:
        """The key terms written as they are (spans), and every other span sounding like a key term."""
        exact: list[tuple[int, int]] = []
        spans: list[tuple[int, int, list[str]]] = []
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        coded = self._class_points[points].tobytes().decode("utf-32-le", "surrogatepass")
        other_starts: set[int] = set()
        for index, start, end in self._spellings.find_matches_as_indexes(coded, overlapping=True):
            readings = self._spelled_terms[index]
            if len(readings) == 1 and text[start:end] in readings[0]:
                exact.append((start, end))
            else:
                other_starts.add(start)
        for start in sorted(other_starts):  # the walk gives these spans in the order the matches are ranked in
            self._walk_chinese(coded, start, spans)
        lattice = None
        words = latin_words(text) if _HAS_LATIN.search(text) else ()
        if words:
            lattice = _Lattice(text, words)
            self._walk_latin(lattice, spans)
        matches: list[SoundMatch] = []
        for start, end, terms in spans:
            if text[start:end] in terms:
                exact.append((start, end))
                continue
            for term in terms:
                if lattice is None or end - start == len(term) and not _touches(start, end, lattice.run_starts,
                                                                                 lattice.run_ends):
                    units = tuple((i, i + 1) for i in range(start, end))
                else:
                    units = _align(lattice, start, end, self.terms[term])
                matches.append(SoundMatch(start, end, term, units))
        return exact, matches

    def _walk_chinese(self, coded: str, start: int, spans: list[tuple[int, int, list[str]]]) -> None:
        """The spans from `start` of the coded text that sound like a term, walking the class trie."""
        size = len(coded)
        third = start + 2
        for node in self._pair_nodes.get(coded[start:third], ()):
            # Most terms found are two characters long and stop here: one step inline, the rest in a call.
            ends = node.get(_END)
            if ends is not None:
                spans.append((start, third, ends))
            children = node.get(coded[third]) if third < size else None
            if children is not None:
                for child in children:
                    _follow_classes(coded, start, child, third + 1, spans)

    def spelled(self, word: str, start: int) -> list[tuple[int, list[str]]]:
        """Key terms written in full pinyin from `word[start]` on: (where the spelling ends, the terms)."""
        spellings = latin_syllables()
        found: list[tuple[int, list[str]]] = []
        stack = [(self._root, start)]
        while stack:
            node, position = stack.pop()
            if _END in node:
                found.append((position, node[_END]))
            for end in range(position + 1, min(len(word), position + _LONGEST_SYLLABLE) + 1):
                syllable = spellings.get(word[position:end])
                child = node.get(syllable) if syllable is not None else None
                if child is not None:
                    stack.append((child, end))
        return found

    def _walk_latin(self, lattice: _Lattice, spans: list[tuple[int, int, list[str]]]) -> None:
        """Matches with a Latin word in them: walks by syllable from near each Latin word."""
        starts: set[int] = set()
        for run_start in lattice.run_starts:
            starts.add(run_start)
            starts.update(p for p in range(max(0, run_start - self._longest), run_start) if lattice.sounds(p))
        found: list[tuple[int, int, list[str]]] = []
        for start in sorted(starts):
            _follow_units(lattice, start, self._root, start, found)
        spans.extend(span for span in found if _touches(span[0], span[1], lattice.run_starts, lattice.run_ends))


def _term_nodes(node: dict, sounds: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """Each syllable sequence of the trie under `node` that ends terms, with those terms."""
    for syllable, child in node.items():
        if syllable == _END:
            yield sounds, child
        else:
            yield from _term_nodes(child, (*sounds, syllable))


def _keyed_by_class(node: dict, classes_of: dict[str, list[str]]) -> dict:
    """A syllable trie node → the same node keyed by sound class: class → the children its readings lead to."""
    keyed: dict = {}
    if _END in node:
        keyed[_END] = node[_END]
    for syllable, child in node.items():
        if syllable == _END:
            continue
        converted = _keyed_by_class(child, classes_of)
        for code in classes_of.get(syllable, ()):
            keyed.setdefault(code, []).append(converted)
    return keyed


def _follow_classes(coded: str, start: int, node: dict, position: int,
                    spans: list[tuple[int, int, list[str]]]) -> None:
    """Follow the class trie from `node` along the coded text from `position`, noting each term that ends."""
    size = len(coded)
    while True:
        ends = node.get(_END)
        if ends is not None:
            spans.append((start, position, ends))
        if position >= size:
            return
        children = node.get(coded[position])
        if children is None:
            return
        position += 1
        if len(children) > 1:
            for child in children:
                _follow_classes(coded, start, child, position, spans)
            return
        node = children[0]


def _follow_units(lattice: _Lattice, start: int, node: dict, position: int,
                  spans: list[tuple[int, int, list[str]]]) -> None:
    """Follow the syllable trie along characters and Latin syllables, noting each term that ends at a unit
    boundary (after a character, or at the end of a Latin word)."""
    ends = node.get(_END)
    if ends is not None and (lattice.sounds(position - 1) is not None or position in lattice.run_ends):
        spans.append((start, position, ends))
    for end, readings in lattice.edges(position):
        for syllable in readings:
            child = node.get(syllable)
            if child is not None:
                _follow_units(lattice, start, child, end, spans)


def _touches(start: int, end: int, run_starts: set[int], run_ends: set[int]) -> bool:
    """Whether `[start, end)` takes in a Latin word (all of it: matches never cut one)."""
    return any(start <= position < end for position in run_starts) or any(
        start < position <= end for position in run_ends)


def _align(lattice: _Lattice, start: int, end: int, sounds: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """The units of `[start, end)` that sound like each syllable of the term (a path the walk found)."""
    def search(position: int, index: int) -> list[tuple[int, int]] | None:
        if index == len(sounds):
            return [] if position == end else None
        for unit_end, syllables in lattice.edges(position):
            if sounds[index] in syllables and unit_end <= end:
                rest = search(unit_end, index + 1)
                if rest is not None:
                    return [(lattice.spaces.get(position, position), unit_end), *rest]
        return None

    units = search(start, 0)
    if units is None:
        raise AssertionError(f"no alignment of {sounds} in [{start}, {end})")
    return tuple(units)


Edit = tuple[int, int, str]


class SoundMatcher:
    """Which sound matches replace text, and with what: the false-positive guards around `SoundIndex`.

    Taken on its own: a match with at least one real character (商标拘, xia证), full pinyin of three or more
    syllables (neibuqudao), a Latin word made of several terms (zlsb). Taken only with context (a context word,
    or other initials, at most `context_within` characters away in the same sentence): matches without a real
    character (伤表橘, zhuanli) and initials (zl, gzj). Never taken: two characters that are both other ones
    (砖丽), a span that is the term already, a match cutting into a key term as written, and one whose changed
    characters read as common words with their neighbours (制定, 一下正规), or one of which is a particle
    (毫不犹豫地交: 地 is grammar, not 递).
    """

    def __init__(self, terms: Iterable[str], context_words: Iterable[str], common_words: frozenset[str],
                 initials: dict[str, tuple[str, ...]] | None = None, context_within: int = 12,
                 particles: frozenset[str] = frozenset(), domain_words: Iterable[str] = ()) -> None:
        self.index = SoundIndex(terms)
        self.initials = initials_table(self.index.terms)
        for letters, meant in (initials or {}).items():
            if meant:
                self.initials[letters] = tuple(meant)
            else:
                self.initials.pop(letters, None)
        self._listed = {letters for letters, meant in (initials or {}).items() if meant}
        self._with_digits = frozenset(letters for letters in self.initials if _HAS_DIGIT.search(letters))
        self._glued = lru_cache(maxsize=16384)(self._glued_uncached)
        self.common_words = common_words
        self.particles = particles
        self.context_within = context_within
        # Initials with a digit (c3) look like a model or a class (雪铁龙C3, C3驾照 代办): taken only beside a word
        # of the domain's own lexicons (商标, 专利), not the generic context words (代办, 申请). Those words are
        # context words too, found by the same pass.
        self._domain = frozenset(domain_words)
        self._context = AhoCorasick(list(dict.fromkeys([*context_words, *self._domain])))

    def __bool__(self) -> bool:
        return len(self.index) > 0

    def rewrite(self, text: str, apply: Callable[[list[Edit]], str]) -> None:
        """Replace what sounds like a key term in `text`, through `apply` (which takes sorted, non-overlapping
        edits and returns the text after them). Matches taken on their own go first, so that a context word
        they restore (商标拘 → 商标局) counts as context for the initials and all-changed spellings after."""
        found = self._find(text)
        chosen, pending = self._choose(text, *found, contextual=False)
        edits = _edits(text, chosen)
        if _HAS_LATIN.search(text):
            edits += self._glued_edits(text, [(m.start, m.end) for m in chosen])
        if edits:
            text = apply(sorted(edits))
            if pending:
                found = self._find(text)
        if pending:
            edits = self._contextual_edits(text, *found)
            if edits:
                apply(edits)

    def _glued_edits(self, text: str, taken: list[tuple[int, int]]) -> list[Edit]:
        """Latin words that are several key terms glued together, in full pinyin or initials
        (neibuqudaobaoguo, zlsb, guamingfmzl): each replaced by the terms, when nothing else took it."""
        edits: list[Edit] = []
        for run in latin_words(text):
            if not _overlaps(*run.span(), taken):
                terms = self._glued(run.group())
                if terms is not None:
                    edits.append((run.start(), run.end(), "".join(terms)))
        return edits

    def _glued_uncached(self, word: str) -> tuple[str, ...] | None:
        """The key terms a Latin word is made of, two or more (fewest pieces, then most in full pinyin), else
        None. A piece is a term's full pinyin or its initials (ambiguous initials only as listed first)."""
        if len(word) > 60:
            return None
        best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (len(word) + 1)
        best[0] = (0, 0, ())
        for start in range(len(word)):
            head = best[start]
            if head is None:
                continue
            pieces = [(end, terms[0], 0) for end, terms in self.index.spelled(word, start)]
            for end in range(start + 2, min(len(word), start + 8) + 1):
                options = self.initials.get(word[start:end])
                if options and (len(options) == 1 or word[start:end] in self._listed):
                    pieces.append((end, options[0], 1))
            for end, term, initials in pieces:
                candidate = (head[0] + 1, head[1] + initials, (*head[2], term))
                current = best[end]
                if current is None or candidate[:2] < current[:2]:
                    best[end] = candidate
        found = best[-1]
        return found[2] if found is not None and found[0] >= 2 else None

    def _find(self, text: str) -> tuple[list[tuple[int, int]], list[SoundMatch], list[tuple[int, int]]]:
        """Key terms as written, other spans that sound like one, and standalone Latin words that are initials."""
        exact, matches = self.index.find(text)
        initials = []
        if _HAS_LATIN.search(text):
            initials = [run.span() for run in latin_words(text) if run.group() in self.initials]
            if self._with_digits and _HAS_DIGIT.search(text):
                initials += [run.span() for run in _standalone(_LETTERS_AND_DIGITS, text)
                             if run.group() in self._with_digits]
        return exact, matches, initials

    def _contextual_edits(self, text: str, exact: list[tuple[int, int]], matches: list[SoundMatch],
                          initials: list[tuple[int, int]]) -> list[Edit]:
        """Edits of the matches and initials that need context, where the context is there: a context word, or
        (for pinyin) other initials or pinyin, nearby in the same sentence."""
        chosen, _ = self._choose(text, exact, matches, initials, contextual=True)
        taken = [(m.start, m.end) for m in chosen]
        initials = [span for span in initials if not _overlaps(*span, taken)]
        anchors = [(start, end) for _, start, end in self._context.find_matches_as_indexes(text, overlapping=True)]
        pinyin = [(m.start, m.end) for m in chosen if _is_latin(text, m)] + initials
        kept = [m for m in chosen if self._supported(text, m.start, m.end, anchors, pinyin if _is_latin(text, m)
                                                     else [])]
        edits = _edits(text, kept)
        domain = [(start, end) for start, end in anchors if text[start:end] in self._domain]
        for start, end in initials:
            digits = _HAS_DIGIT.search(text, start, end) is not None
            if self._supported(text, start, end, domain if digits else anchors, [] if digits else pinyin):
                term = self._initials_term(text, start, end)
                if term is not None:
                    edits.append((start, end, term))
        return sorted(edits)

    def _choose(self, text: str, exact: list[tuple[int, int]], matches: list[SoundMatch],
                initials: list[tuple[int, int]], contextual: bool) -> tuple[list[SoundMatch], bool]:
        """Non-overlapping changing matches of one kind (longest, then most real characters, then leftmost), and
        whether anything needing context (matches, initials) was seen."""
        ranked = []
        pending = bool(initials)
        for match in matches:
            changed = _changed_units(text, match)
            real = len(match.term) - len(changed)
            if real == 0 and len(match.term) == 2 and not _is_latin(text, match):
                continue  # two characters, both other ones (将会 for 抢回): too often ordinary words
            needs_context = real == 0 and not (len(match.term) >= 3 and _is_latin(text, match, only=True))
            pending = pending or needs_context
            if needs_context != contextual or self._reads_as_words(text, match, changed):
                continue
            if any(_cuts_into(match, other, changed) for other in exact):
                continue
            ranked.append((-(match.end - match.start), -real, match.start, match))
        chosen: list[SoundMatch] = []
        taken: list[tuple[int, int]] = []
        for *_, match in sorted(ranked, key=lambda row: row[:3]):
            if not _overlaps(match.start, match.end, taken):
                chosen.append(match)
                taken.append((match.start, match.end))
        return chosen, pending

    def _reads_as_words(self, text: str, match: SoundMatch, changed: list[tuple[int, int]]) -> bool:
        """Whether the span reads as ordinary words: a changed character forms a common word with the characters
        around it (资讯中心 is not 咨询中心; 一下正规 has no 下证), or, for a two-character term, either character
        does with a character outside the span (商标权人可以 has no 认可)."""
        words = self.common_words
        if text[match.start:match.end] in words:
            return True
        if any(text[start:end] in self.particles for start, end in changed):
            return True
        checked = [(unit, False) for unit in changed]
        if len(match.term) == 2:
            checked += [(unit, True) for unit in match.units if unit not in changed]
        for (start, end), reaching_out in checked:
            if end - start != 1:
                continue
            for left in range(max(0, start - 3), start + 1):
                for right in range(start + 2 if left == start else start + 1, min(len(text), left + 4) + 1):
                    inside = match.start <= left and right <= match.end
                    if (not reaching_out or not inside) and text[left:right] in words:
                        return True
        return False

    def _supported(self, text: str, start: int, end: int, anchors: list[tuple[int, int]],
                   supports: list[tuple[int, int]]) -> bool:
        """A context word or one of `supports` near `[start, end)` in the same sentence."""
        for other_start, other_end in [*anchors, *supports]:
            if (other_start, other_end) == (start, end) or _overlaps(other_start, other_end, [(start, end)]):
                continue
            gap = (start, other_start) if other_start >= end else (other_end, start)
            if gap[1] - gap[0] <= self.context_within and not _SENTENCE_END.search(text, gap[0], gap[1]):
                return True
        return False

    def _initials_term(self, text: str, start: int, end: int) -> str | None:
        """The term initials stand for: the only one, else the one forming the longest key term with the words
        around it (zc 专利 → 职称专利), else the first listed in normalize.yaml; None when still undecided."""
        options = self.initials[text[start:end]]
        if len(options) == 1:
            return options[0]
        before, after = text[max(0, start - 8):start], text[end:end + 8]
        best: dict[str, int] = {}
        for option in options:
            window = before + option + after
            inside = (len(before), len(before) + len(option))
            exact, _ = self.index.find(window)
            best[option] = max((end - begin for begin, end in exact if begin <= inside[0] and inside[1] <= end),
                               default=0)
        ranked = sorted(options, key=lambda option: -best[option])
        if best[ranked[0]] > best[ranked[1]]:
            return ranked[0]
        return options[0] if text[start:end] in self._listed else None


def _is_latin(text: str, match: SoundMatch, only: bool = False) -> bool:
    """Whether the match has a Latin unit (with `only`: nothing but Latin units)."""
    latin = [end - start > 1 or not _CJK_CHAR.match(text[start]) for start, end in match.units]
    return all(latin) if only else any(latin)


def _changed_units(text: str, match: SoundMatch) -> list[tuple[int, int]]:
    """The units of a match that are not the term's own character (other characters, pinyin)."""
    return [(start, end) for (start, end), char in zip(match.units, match.term) if text[start:end] != char]


def _edits(text: str, matches: Iterable[SoundMatch]) -> list[Edit]:
    """Each changed unit replaced by the term's character, spaces between units dropped."""
    edits: list[Edit] = []
    for match in matches:
        previous_end = match.start
        for (start, end), char in zip(match.units, match.term):
            if start > previous_end:
                edits.append((previous_end, start, ""))
            if text[start:end] != char:
                edits.append((start, end, char))
            previous_end = end
    return sorted(edits)


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def _cuts_into(match: SoundMatch, exact: tuple[int, int], changed: list[tuple[int, int]]) -> bool:
    """Whether taking `match` would break an occurrence of a key term: reach out of it, or change a character
    of it."""
    start, end = exact
    if not _overlaps(start, end, [(match.start, match.end)]):
        return False
    return not (match.start <= start and end <= match.end) or _overlaps(start, end, changed)
