"""Regular expressions searched only from the characters their matches can begin with: the same matches as
`re.finditer`, found without trying the pattern at every character.

Python's `re` skips over characters that cannot begin a match only when a pattern starts with a literal or a
character class. A pattern that starts with a group of alternatives, a look-behind or a repeat (the rules' joined
regexes and patterns, the entity patterns) is tried at every character of the text, which is most of its cost on a
long page. `Scanner` reads the characters any match must begin with from the parsed pattern (`re._parser`, the
parser `re` compiles with) and searches with a pattern that starts with that class and checks the real pattern in a
look-ahead there, so that the engine itself skips the rest. Each hit is then matched by the real pattern at its
position, and a hit inside the previous match is skipped: the matches, their groups and their order are those of
`finditer`. A pattern that can match the empty string, or whose first characters cannot be told (`.`, a negated
class, case-insensitive letters, a back-reference), is searched as it is.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W",
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.ASSERT, sre.ASSERT_NOT, sre.AT)
_UNSUPPORTED_FLAGS = re.IGNORECASE | re.LOCALE | re.VERBOSE


class _Unknown(Exception):
    """A construct whose first characters are not worked out here."""


class Scanner:
    """A compiled pattern and the search for the places its matches can begin at (None: searched as it is)."""

    __slots__ = ("regex", "_starts")

    def __init__(self, pattern: str | re.Pattern[str]) -> None:
        self.regex = re.compile(pattern)
        self._starts = _start_search(self.regex)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `self.regex.finditer(text)` gives. The next place a match can begin is looked for from the end
        of the last match: looked for at each place inside it too, a long match (a link running to the end of a
        page of `www.www.…`) was matched again from each of its characters, 1.2 s for 50,000."""
        if self._starts is None:
            yield from self.regex.finditer(text)
            return
        match, search = self.regex.match, self._starts.search
        cursor = 0
        while (hit := search(text, cursor)) is not None:
            position = hit.start()
            found = match(text, position)
            if found is None:
                cursor = position + 1
                continue
            cursor = found.end()  # a scanned pattern never matches the empty string (`_start_search`)
            yield found


def _start_search(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """`[F](?<=(?=pattern)[F])` for the class F of the characters a match begins with: the engine skips to a
    character of F, and the look-behind (one character wide) checks there that the pattern matches from it."""
    if regex.flags & _UNSUPPORTED_FLAGS:
        return None
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
        if parsed.state.flags & _UNSUPPORTED_FLAGS or parsed.getwidth()[0] == 0:
            return None
        pieces, empty = _first(parsed.data)
        if empty or not pieces:
            return None
        first = "[" + "".join(dict.fromkeys(pieces)) + "]"
        return re.compile(f"{first}(?<=(?=(?:{regex.pattern})){first})", regex.flags)
    except (_Unknown, re.error, RecursionError):
        return None


def _first(items: Sequence[tuple[Any, Any]]) -> tuple[list[str], bool]:
    """The character-class pieces of what a sequence of parsed items can begin with, and whether it can match the
    empty string."""
    pieces: list[str] = []
    for op, value in items:
        if op is sre.LITERAL:
            return [*pieces, _char(value)], False
        if op is sre.IN:
            return [*pieces, *map(_class_item, value)], False
        if op in _ZERO_WIDTH:
            continue
        if op is sre.SUBPATTERN:
            _, add_flags, _, inner = value
            if add_flags & _UNSUPPORTED_FLAGS:
                raise _Unknown(op)
            found, empty = _first(inner)
        elif op is sre.ATOMIC_GROUP:
            found, empty = _first(value)
        elif op is sre.BRANCH:
            found, empty = [], False
            for alternative in value[1]:
                alternative_pieces, alternative_empty = _first(alternative)
                found += alternative_pieces
                empty = empty or alternative_empty
        elif op in _REPEATS:
            low, _, inner = value
            found, empty = _first(inner)
            empty = empty or low == 0
        else:
            raise _Unknown(op)
        pieces += found
        if not empty:
            return pieces, False
    return pieces, True


def _class_item(item: tuple[Any, Any]) -> str:
    op, value = item
    if op is sre.LITERAL:
        return _char(value)
    if op is sre.RANGE:
        return f"{_char(value[0])}-{_char(value[1])}"
    if op is sre.CATEGORY and value in _CATEGORIES:
        return _CATEGORIES[value]
    raise _Unknown(op)  # a negated class, a case-insensitive range …


def _char(code: int) -> str:
    return f"\\U{code:08x}"
