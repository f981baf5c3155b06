"""How key terms sound: toneless pinyin of characters and of Latin runs, and key terms found by sound.

Sellers dodge keyword lists with other characters of the same sound (内布渠到 for 内部渠道), pinyin mixed with
characters (商biao局), full pinyin (neibuqudao) and pinyin initials (GZJ). The tables here are built once from
pypinyin's dictionary, so matching a text is dictionary look-ups and a walk down a trie of syllables, never a
pypinyin call per character.

A character sounds like every one of its readings (polyphonic characters: all of them, tones ignored, ü as u); a
key term sounds like pypinyin's reading of the term as a word (银行 → yin hang).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick
from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

# A Latin word standing alone (not part of an id such as "daiban123", "zhi_yuan" or "sb-200"): pinyin is only
# looked for there.
LATIN_WORD = re.compile(r"(?<![a-z0-9_\-])[a-z]+(?![a-z0-9_\-])")
_VOWEL = re.compile("[aeiou]")
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Sentences end here: context for a sound match is looked for in its own sentence only.
_SENTENCE_END = re.compile(r"[。!?;\n]")
_LONGEST_SYLLABLE = 6  # zhuang, shuang
_END = ""  # trie key of the terms that end at a node (never a syllable)


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
    """Every Chinese character of pypinyin's dictionary → its toneless readings (all of them)."""
    marks = _tone_marks()
    table: dict[str, tuple[str, ...]] = {}
    for code, readings in pinyin_dict.items():
        sounds = tuple(dict.fromkeys(readings.translate(marks).split(",")))
        if sounds and all(sounds):
            table[chr(code)] = sounds
    return table


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
    sounds = lazy_pinyin(term, errors=lambda chars: [""] * len(chars))
    if len(sounds) != len(term) or not all(sounds):
        return None
    return tuple(toneless(s) for s in sounds)


def initials_table(terms: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Pinyin initials as sellers type them → the terms that have them (专利 → zl; several when ambiguous:
    zc → 注册, 职称), from each term's syllables."""
    table: dict[str, list[str]] = {}
    for term, sounds in terms.items():
        table.setdefault("".join(s[0] for s in sounds), []).append(term)
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

    __slots__ = ("sounds", "latin", "run_starts", "run_ends", "spaces")

    def __init__(self, text: str, sounds: list[tuple[str, ...] | None], with_latin: bool) -> None:
        self.sounds = sounds
        self.latin: dict[int, list[tuple[int, str]]] = {}
        self.run_starts: set[int] = set()
        self.run_ends: set[int] = set()
        self.spaces: dict[int, int] = {}
        if not with_latin:
            return
        spellings = latin_syllables()
        for run in LATIN_WORD.finditer(text):
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

    def starts(self) -> Iterator[int]:
        for position, sound in enumerate(self.sounds):
            if sound is not None or position in self.run_starts:
                yield position

    def edges(self, position: int) -> list[tuple[int, tuple[str, ...]]]:
        """The units that can follow a match that reached `position`: (where the unit ends, its sounds)."""
        position = self.spaces.get(position, position)
        if position < len(self.sounds):
            sound = self.sounds[position]
            if sound is not None:
                return [(position + 1, sound)]
        return [(end, (syllable,)) for end, syllable in self.latin.get(position, ())]

    def is_end(self, position: int) -> bool:
        """A match may end here: after a Chinese character or at the end of a Latin word (not inside one)."""
        return (position in self.run_ends) or (position > 0 and self.sounds[position - 1] is not None)


class SoundIndex:
    """Key terms by their syllables; finds every span of a text that sounds like one of them."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms: dict[str, tuple[str, ...]] = {}
        for term in terms:
            sounds = term_syllables(term) if len(term) >= 2 else None
            if sounds is not None:
                self.terms[term] = sounds
        self._root: dict[str, dict] = {}
        for term, sounds in self.terms.items():
            node = self._root
            for syllable in sounds:
                node = node.setdefault(syllable, {})
            node.setdefault(_END, []).append(term)
        self._table = char_syllables()

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> list[SoundMatch]:
        """Every span sounding like a key term, the term itself included (all overlapping matches)."""
        sounds = [self._table.get(char) for char in text]
        lattice = _Lattice(text, sounds, with_latin=LATIN_WORD.search(text) is not None)
        found: list[SoundMatch] = []
        root = self._root
        for start in lattice.starts():
            stack: list[tuple[dict, int, int]] = [(root, start, 0)]
            while stack:
                node, position, depth = stack.pop()
                if depth and _END in node and lattice.is_end(position):
                    found.extend(self._match(lattice, start, position, term) for term in node[_END])
                for end, syllables in lattice.edges(position):
                    for syllable in syllables:
                        child = node.get(syllable)
                        if child is not None:
                            stack.append((child, end, depth + 1))
        return found

    def _match(self, lattice: _Lattice, start: int, end: int, term: str) -> SoundMatch:
        if end - start == len(term) and all(lattice.sounds[i] is not None for i in range(start, end)):
            return SoundMatch(start, end, term, tuple((i, i + 1) for i in range(start, end)))
        return SoundMatch(start, end, term, self._align(lattice, start, end, self.terms[term]))

    @staticmethod
    def _align(lattice: _Lattice, start: int, end: int, sounds: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
        """The units of `[start, end)` that sound like each syllable of the term (a path known to exist)."""
        def search(position: int, index: int) -> list[tuple[int, int]] | None:
            if index == len(sounds):
                return [] if position == end else None
            for unit_end, syllables in lattice.edges(position):
                if sounds[index] in syllables and unit_end <= end:
                    rest = search(unit_end, index + 1)
                    if rest is not None:
                        unit_start = lattice.spaces.get(position, position)
                        return [(unit_start, unit_end), *rest]
            return None

        units = search(start, 0)
        if units is None:
            raise AssertionError(f"no alignment of {sounds} in [{start}, {end})")
        return tuple(units)


Edit = tuple[int, int, str]


class SoundMatcher:
    """Which sound matches replace text, and with what: the false-positive guards around `SoundIndex`.

    Taken on its own: a match with at least one real character (商标拘, xia证) or full pinyin of three or more
    syllables (neibuqudao). Taken only with context (a context word, or other initials, at most
    `context_within` characters away in the same sentence): matches without a real character (砖丽, zhuanli) and
    initials (zl, gzj). Never taken: a span that is the term already, a match cutting into the term's own
    occurrence, and one whose changed characters read as common words with their neighbours (制定, 一下正规).
    """

    def __init__(self, terms: Iterable[str], context_words: Iterable[str], common_words: frozenset[str],
                 initials: dict[str, tuple[str, ...]] | None = None, context_within: int = 12) -> None:
        self.index = SoundIndex(terms)
        self.initials = initials_table(self.index.terms)
        for letters, meant in (initials or {}).items():
            if meant:
                self.initials[letters] = tuple(meant)
            else:
                self.initials.pop(letters, None)
        self._listed = {letters for letters, meant in (initials or {}).items() if meant}
        self.common_words = common_words
        self.context_within = context_within
        self._context = ahocorasick.Automaton()
        for word in dict.fromkeys(context_words):
            self._context.add_word(word, len(word))
        self._has_context = len(self._context) > 0
        if self._has_context:
            self._context.make_automaton()

    def __bool__(self) -> bool:
        return len(self.index) > 0

    def confident_edits(self, text: str) -> tuple[list[Edit], bool]:
        """Edits of the matches taken on their own, and whether matches needing context were seen."""
        chosen, pending = self._choose(text, self.index.find(text), contextual=False)
        if not pending:
            pending = any(run.group() in self.initials for run in LATIN_WORD.finditer(text))
        return _edits(text, chosen), pending

    def contextual_edits(self, text: str) -> list[Edit]:
        """Edits of the matches and initials that need context, where the context is there."""
        chosen, _ = self._choose(text, self.index.find(text), contextual=True)
        taken = [(m.start, m.end) for m in chosen]
        initials = [run for run in LATIN_WORD.finditer(text)
                    if run.group() in self.initials and not _overlaps(run.start(), run.end(), taken)]
        supports = [(m.start, m.end) for m in chosen] + [(run.start(), run.end()) for run in initials]
        anchors = [(end - length + 1, end + 1) for end, length in self._context.iter(text)] if self._has_context else []
        kept = [m for m in chosen if self._supported(text, m.start, m.end, anchors, supports)]
        edits = _edits(text, kept)
        for run in initials:
            if self._supported(text, run.start(), run.end(), anchors, supports):
                term = self._initials_term(text, run.start(), run.end())

                if term is not None:
                    edits.append((run.start(), run.end(), term))
        return sorted(edits)

    def _choose(self, text: str, matches: list[SoundMatch], contextual: bool) -> tuple[list[SoundMatch], bool]:
        """Non-overlapping changing matches of one kind (longest, then most real characters, then leftmost)."""
        exact = [(m.start, m.end) for m in matches if text[m.start:m.end] == m.term]
        ranked = []
        pending = False
        for match in matches:
            changed = _changed_units(text, match)
            if not changed or self._reads_as_words(text, match, changed):
                continue
            if any(_cuts_into(match, other, changed) for other in exact):
                continue
            real = len(match.term) - len(changed)
            latin_only = not any(end - start == 1 and _CJK_CHAR.match(text[start]) for start, end in match.units)
            needs_context = real == 0 and not (latin_only and len(match.term) >= 3)
            pending = pending or needs_context
            if needs_context == contextual:
                ranked.append((-(match.end - match.start), -real, match.start, match))
        chosen: list[SoundMatch] = []
        taken: list[tuple[int, int]] = []
        for *_, match in sorted(ranked, key=lambda row: row[:3]):
            if not _overlaps(match.start, match.end, taken):
                chosen.append(match)
                taken.append((match.start, match.end))
        return chosen, pending

    def _reads_as_words(self, text: str, match: SoundMatch, changed: list[tuple[int, int]]) -> bool:
        """Whether the span reads as ordinary words: it is a common word itself, or a changed character (any
        character, for two-character terms: 商标权人可以 is not 认可) forms a common word with characters outside
        the span."""
        words = self.common_words
        if text[match.start:match.end] in words:
            return True
        units = match.units if len(match.term) == 2 else changed
        for start, end in units:
            if end - start != 1:
                continue
            for left in range(max(0, start - 3), start + 1):
                for right in range(start + 1, min(len(text), left + 4) + 1):
                    inside = match.start <= left and right <= match.end
                    if right - left >= 2 and not inside and text[left:right] in words:
                        return True
        return False

    def _supported(self, text: str, start: int, end: int, anchors: list[tuple[int, int]],
                   supports: list[tuple[int, int]]) -> bool:
        """A context word, or another match needing context, near `[start, end)` in the same sentence."""
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
            best[option] = max((m.end - m.start for m in self.index.find(window)
                                if window[m.start:m.end] == m.term and m.start <= inside[0] and inside[1] <= m.end),
                               default=0)
        ranked = sorted(options, key=lambda option: -best[option])
        if best[ranked[0]] > best[ranked[1]]:
            return ranked[0]
        return options[0] if text[start:end] in self._listed else None


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
