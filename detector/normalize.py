"""Undo the spellings sellers use to slip past keyword filters, keeping a map back to the original offsets.

Steps, in order: Unicode NFKC (full-width → half-width) and lower case; traditional → simplified characters
(OpenCC's character table); separators between CJK characters removed (spaces, dots, slashes, zero-width
characters, emoji); runs of five or more Chinese numerals turned into digits (contact numbers written in words);
pinyin, initials and homophones replaced by the canonical wording listed in `config/detector/normalize.yaml`
(before and after the separators go, for variants written with a symbol such as "微❤" and for spaced ones; a
variant that is itself a common word, 威信, only as a contact word: before an id or after 加 / 添加 / 联系);
then key terms matched by sound (`detector.sound`): other characters of the same sound, pinyin mixed with
characters, full pinyin and pinyin initials of the words the rules look for; separators removed once more (a
replacement can bring two CJK characters together). Every character of the result knows the span of original
characters it came from, so evidence found in the normalised text is reported in the seller's own text.

Sound matching guards against false positives: a match must cover a whole key term of two or more characters;
it is taken on its own when at least one character of it is the real one (商标拘, xia证) or it is full pinyin of
three or more syllables, and otherwise (砖丽, zhuanli, SB, ZC) only with a context word of
`sound.context_lexicons` / `sound.context_words` or other initials nearby in the same sentence. A same-sound
spelling that reads as ordinary words (制定 for 指定, 一下正规 for 下证) is left alone: its changed characters
must not form a common word of jieba's dictionary with the characters around them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import jieba
from ahocorasick_rs import MATCHKIND_LEFTMOST_LONGEST, AhoCorasick

from core.config import ConfigError, load_model
from core.settings import config_dir
from detector.normalize_file import NormalizeFile, SoundSection
from detector.normalized import T2S, NormalizedText, fold_variant
from detector.rules import RuleEngine
from detector.sound import CJK, SoundMatcher, latin_words

ZERO_WIDTH = "\u200b-\u200f\u2060-\u2064\ufeff\ufe00-\ufe0f\u00ad"
EMOJI = (
    "\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf"
    "\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
)
# Marks put between characters to break keywords. Sentence punctuation (，。！？；：、 and their ASCII forms after
# NFKC), brackets and line breaks are kept on purpose, so that words of neighbouring sentences are not glued into
# a false match.
SEPARATORS = (
    " \t\r\f\v"
    r"\.\-_/\\|·•・‧∙⋅*~^`'\"+=#@&%$<>\[\]{}"
    "\u3000\u2010-\u2015\u2018-\u201f\u2022\u2026\u300c-\u300f\u3010\u3011\u30fb"
)
# A run of separators goes when Chinese characters stand on both sides; zero-width characters go anywhere. (The
# neighbours are checked in Python: a regex starting with a look-behind scans several times slower.)
_SEPARATOR_RUN = re.compile(f"[{SEPARATORS}{ZERO_WIDTH}{EMOJI}]+")
_ZERO_WIDTH_RUN = re.compile(f"[{ZERO_WIDTH}]+")
_CJK_CHAR = re.compile(f"[{CJK}]")
_LATIN = re.compile(r"[a-z0-9]")
# Phone and QQ numbers written in Chinese numerals ("一三八一二三四五六七八"): runs of 5+ become digits.
_CHINESE_DIGITS = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
_CHINESE_DIGIT_RUN = re.compile("[零〇一二三四五六七八九幺两]{5,}")
_MAYBE_UNSTABLE = re.compile(r"[^\x00-\x7f\u4e00-\u9fff]")
_PINYIN_WORD = re.compile(r"[a-z]+")
_CJK_TERM = re.compile(f"[{CJK}]{{2,}}")
# Words of jieba's dictionary seen at least this often count as common words (制定 13,662; 专力 3).
COMMON_WORD_MIN_COUNT = 10
_COMMON_WORD_LINE = re.compile(rf"^([{CJK}]{{2,4}}) (\d+) ", re.MULTILINE)
# jieba's part-of-speech tags of particles that are nothing else: structural (的 地 得), aspect (了 着) and modal
# (吗 呢 吧); not 过, 等 or 之, which are verbs and nouns as well.
_PARTICLE_LINE = re.compile(rf"^([{CJK}]) \d+ (?:u[jlvdz]|y)$", re.MULTILINE)
# A listed variant that is itself a common word (威信, prestige, for 微信) is replaced only as a contact word: with an
# id after it ("威信：zl8888", "威信号 abc123") or a contact verb right before it ("添加威信", "加威信"; not 增加威信).
_ID_AFTER = re.compile(r"号?[\s:]*[a-z0-9]")
_CONTACT_BEFORE = re.compile(r"(?:添加|联系|(?<![增更追参施附倍])加|\+)\s*$")


class _Builder:
    """The text being normalised and its offset map; edits replace spans and keep the map consistent."""

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = list(range(len(text)))
        self.ends = list(range(1, len(text) + 1))

    def apply(self, edits: Iterable[tuple[int, int, str]]) -> None:
        """Replace each span `[i, j)` (sorted, non-overlapping) by its replacement string."""
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cursor = 0
        for i, j, replacement in edits:
            pieces.append(self.text[cursor:i])
            starts.extend(self.starts[cursor:i])
            ends.extend(self.ends[cursor:i])
            if replacement:
                pieces.append(replacement)
                origin_start = self.starts[i]
                origin_end = self.ends[j - 1]
                starts.extend([origin_start] * len(replacement))
                ends.extend([origin_end] * len(replacement))
            cursor = j
        if cursor == 0 and not pieces:
            return
        pieces.append(self.text[cursor:])
        starts.extend(self.starts[cursor:])
        ends.extend(self.ends[cursor:])
        self.text = "".join(pieces)
        self.starts = starts
        self.ends = ends


_TRADITIONAL = frozenset(chr(code) for code in T2S)


class Normalizer:
    """Normalises text; built once from `config/detector/normalize.yaml` (replacement lists, sound matching) and
    the words of `config/detector/rules.yaml` (the key terms matched by sound)."""

    def __init__(self, replacements: Mapping[str, str], sound: SoundMatcher | None = None) -> None:
        self.replacements = dict(replacements)
        self.sound = sound
        self._pinyin = {k: v for k, v in self.replacements.items() if _PINYIN_WORD.fullmatch(k)}
        self._longest_pinyin = max(map(len, self._pinyin), default=0)
        variants = [variant for variant in self.replacements if variant not in self._pinyin]
        self._word_variants = frozenset(variant for variant in variants if variant in common_words())
        self._canonicals = [self.replacements[variant] for variant in variants]
        self._variants = AhoCorasick(variants, matchkind=MATCHKIND_LEFTMOST_LONGEST)
        self._segment = lru_cache(maxsize=65536)(self._segment_uncached)

    @classmethod
    def from_config(cls, directory: Path | None = None, rules: RuleEngine | None = None) -> Normalizer:
        """The normaliser of a config dir; `rules` (else the dir's rules.yaml, when there is one) gives the key
        terms matched by sound."""
        directory = directory or config_dir()
        path = directory / "detector" / "normalize.yaml"
        config = load_model(NormalizeFile, path)
        replacements: dict[str, str] = {}
        for entries in (config.pinyin, config.homophones):
            for canonical, variants in entries.items():
                for variant in variants:
                    key = fold_variant(variant)
                    if key != canonical:
                        replacements[key] = canonical
        if rules is None and (directory / "detector" / "rules.yaml").exists():
            rules = RuleEngine.from_config(directory)
        canonicals = [fold_variant(c) for entries in (config.pinyin, config.homophones) for c in entries]
        return cls(replacements, _sound_matcher(config.sound, path, rules, canonicals))

    def __call__(self, text: str) -> NormalizedText:
        builder = _Builder(text)
        _fold_width_and_case(builder)
        if not _TRADITIONAL.isdisjoint(builder.text):
            builder.text = builder.text.translate(T2S)
        if self.replacements:
            # Before separators go: some variants are written with a symbol in them ("微❤").
            self._replace_variants(builder)
        _remove_separators(builder)
        builder.text = _CHINESE_DIGIT_RUN.sub(lambda m: m.group().translate(_CHINESE_DIGITS), builder.text)
        if self.replacements:
            self._replace_variants(builder)
        if self.sound:
            self._match_sounds(builder, self.sound)
        if self.replacements or self.sound:
            _remove_separators(builder)
        return NormalizedText(builder.text, text, tuple(builder.starts), tuple(builder.ends))

    @staticmethod
    def _match_sounds(builder: _Builder, sound: SoundMatcher) -> None:
        def apply(edits: list[tuple[int, int, str]]) -> str:
            builder.apply(edits)
            return builder.text

        sound.rewrite(builder.text, apply)

    def _segment_uncached(self, word: str) -> str | None:
        """The canonical wording of a Latin word made only of pinyin variants ("neibujiaji"), else None."""
        if len(word) > 60:
            return None
        best: list[tuple[int, str] | None] = [None] * (len(word) + 1)
        best[0] = (0, "")
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - self._longest_pinyin), end):
                head = best[start]
                canonical = self._pinyin.get(word[start:end])
                if head is not None and canonical is not None:
                    candidate = (head[0] + 1, head[1] + canonical)
                    current = best[end]
                    if current is None or candidate[0] < current[0]:
                        best[end] = candidate
        return best[-1][1] if best[-1] is not None else None

    def _replace_variants(self, builder: _Builder) -> None:
        # Mixed and Chinese variants first ("v信" → 微信), then Latin words made of pinyin ("neibujiaji").
        if self._canonicals:
            text = builder.text
            edits: list[tuple[int, int, str]] = []
            for index, start, stop in self._variants.find_matches_as_indexes(text):
                # A variant starting or ending with a Latin letter must not cut a Latin word ("vx号" in "avx号").
                if _LATIN.match(text[start]) and start > 0 and _LATIN.match(text[start - 1]):
                    continue
                if _LATIN.match(text[stop - 1]) and stop < len(text) and _LATIN.match(text[stop]):
                    continue
                if text[start:stop] in self._word_variants and not _ID_AFTER.match(text, stop) \
                        and not _CONTACT_BEFORE.search(text, max(0, start - 3), start):
                    continue
                edits.append((start, stop, self._canonicals[index]))
            builder.apply(edits)
        if self._pinyin:
            builder.apply(
                (run.start(), run.end(), canonical)
                for run in latin_words(builder.text)
                if (canonical := self._segment(run.group())) is not None
            )


def _sound_matcher(section: SoundSection, path: Path, rules: RuleEngine | None,
                   canonicals: Iterable[str]) -> SoundMatcher | None:
    """Sound matching as the `sound` section of normalize.yaml sets it, over the words the rules look for (the
    words of lexicons used in `near` and the `phrases`) and the canonical wordings above; None without rules.
    The terms keep the order they are listed in (lexicons in the order rules.yaml first uses them): two terms that
    match one span equally well (加位: 价位 or 加微) go to the one listed first, in every process."""
    if rules is None:
        return None
    near = dict.fromkeys(name for rule in rules.rules if rule.near for name in rule.near)
    # (a pattern of rules.yaml named in `near` has no words to match by sound)
    terms = [term for name in near for term in rules.lexicons.get(name, ())]
    terms += [fold_variant(phrase) for rule in rules.rules for phrase in rule.phrases]
    terms += canonicals
    for name in section.context_lexicons:
        if name not in rules.lexicons:
            raise ConfigError(f"{path}: sound.context_lexicons: rules.yaml has no lexicon '{name}'")
    listed = {letters.lower(): tuple(fold_variant(m) for m in meant) for letters, meant in section.initials.items()}
    domain = [w for name in section.context_lexicons for w in rules.lexicons[name]]
    context = [*domain, *(fold_variant(w) for w in section.context_words)]
    ordinary_words = common_words() | {fold_variant(w) for w in section.ordinary_words}
    return SoundMatcher([t for t in dict.fromkeys(terms) if _CJK_TERM.fullmatch(t)], context, ordinary_words,
                        listed, section.context_within, particles(), domain)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Chinese words of two to four characters seen at least `COMMON_WORD_MIN_COUNT` times in jieba's
    dictionary: a same-sound spelling that reads as one of these is taken to mean what it says."""
    with jieba.get_dict_file() as handle:
        data = handle.read().decode("utf-8")
    return frozenset(m.group(1) for m in _COMMON_WORD_LINE.finditer(data) if int(m.group(2)) >= COMMON_WORD_MIN_COUNT)


@lru_cache(maxsize=1)
def particles() -> frozenset[str]:
    """The single characters jieba's dictionary tags as particles (的 地 得 了 着 吗 …): grammar, which a
    same-sound disguise does not write (毫不犹豫地交 has no 递交)."""
    with jieba.get_dict_file() as handle:
        data = handle.read().decode("utf-8")
    return frozenset(m.group(1) for m in _PARTICLE_LINE.finditer(data))


def _fold_width_and_case(builder: _Builder) -> None:
    # ASCII and the unified CJK ideographs are NFKC-stable, so only the other characters are looked at. Those that
    # fold to one character (，→ , Ａ→ a) are translated in place, which leaves the offset map as it is; the rest
    # (㈱ → (株)) are edits.
    text = builder.text
    folds = {char: _fold_char(char) for char in set(_MAYBE_UNSTABLE.findall(text))}
    builder.text = _replace_chars(text, {char: folded for char, folded in folds.items()
                                         if len(folded) == 1 and folded != char})
    if any(len(folded) != 1 for folded in folds.values()):
        builder.apply((found.start(), found.end(), folds[found.group()]) for found in _MAYBE_UNSTABLE.finditer(text)
                      if len(folds[found.group()]) != 1)
    lowered = builder.text.lower()
    if len(lowered) == len(builder.text):
        builder.text = lowered
    else:
        builder.apply((i, i + 1, c.lower()) for i, c in enumerate(builder.text) if c.lower() != c)


def _replace_chars(text: str, mapping: dict[str, str]) -> str:
    """`text` with each character of `mapping` replaced by its one character, as `str.translate` would, done as
    one `str.replace` per character: a page has a handful of them (full-width punctuation), and a scan for one is
    far cheaper than translate's table look-up at every character. One after the other is all at once as long as
    no replacement is itself replaced; otherwise translate does it."""
    if not mapping.keys().isdisjoint(mapping.values()):
        return text.translate({ord(char): replacement for char, replacement in mapping.items()})
    for char, replacement in mapping.items():
        text = text.replace(char, replacement)
    return text


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).lower()


def _remove_separators(builder: _Builder) -> None:
    text = builder.text
    edits: list[tuple[int, int, str]] = []
    for run in _SEPARATOR_RUN.finditer(text):
        start, end = run.span()
        if start and end < len(text) and _CJK_CHAR.match(text, start - 1) and _CJK_CHAR.match(text, end):
            edits.append((start, end, ""))
        else:
            edits.extend((m.start(), m.end(), "") for m in _ZERO_WIDTH_RUN.finditer(text, start, end))
    builder.apply(edits)


@lru_cache(maxsize=8)
def load_normalizer(directory: Path | None = None) -> Normalizer:
    """The normaliser for a config dir, built once per process."""
    return Normalizer.from_config(directory)


def normalize_text(text: str, directory: Path | None = None) -> NormalizedText:
    """Normalise `text` with the replacement lists of the config dir (default `core.settings.config_dir()`)."""
    return load_normalizer(directory or config_dir())(text)
