"""Evasions sellers use, applied programmatically to positive test items to measure robustness.

Written independently of `detector.normalize` (its own term list and spellings), so the obfuscated recall
measures the whole detector, normaliser included, against spellings it was not built from.
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import Field, replace
from typing import Any, ClassVar, Protocol, TypeVar

import opencc


class _Text(Protocol):
    """What obfuscation reads of a corpus item (`detector.training.corpus.Item`, a dataclass)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    id: str
    title: str
    text: str


Item = TypeVar("Item", bound=_Text)

# Terms that carry a label; evasions target them first (longest first, so 国家知识产权局 before 知识产权局).
KEY_TERMS = sorted(
    (
        "国家知识产权局", "知识产权局", "国知局", "商标局", "专利局", "保护中心", "审查协作中心", "官方", "指定",
        "直属", "内部", "渠道", "通道", "包授权", "包过", "下证", "拿证", "审查员", "关系", "退款", "撤三", "撤销",
        "抢注", "商标", "专利", "职称", "挂名", "批量", "高企", "挂证", "挂靠", "代理师", "资质", "出租", "代写",
        "代办", "申请", "授权", "微信", "加急",
    ),
    key=len,
    reverse=True,
)
_KEY_RE = re.compile("|".join(map(re.escape, KEY_TERMS)))
# Pinyin, initials and homophones as they appear in listings (docs/domain.md "Evasion the staff see").
RESPELLINGS = {
    "国家知识产权局": ["guojia知识产权局", "国家知识产全局", "GJZSCQJ"],
    "知识产权局": ["知识产全局", "zhishichanquan局"],
    "国知局": ["GZJ", "guozhiju", "国之局"],
    "商标局": ["shangbiao局", "商镖局", "SBJ"],
    "专利局": ["zhuanli局", "专利ju"],
    "内部": ["neibu", "内bu", "内不"],
    "渠道": ["qudao", "曲道"],
    "包授权": ["bao授权", "包受权"],
    "包过": ["baoguo", "包guo"],
    "下证": ["xia证", "夏证"],
    "审查员": ["审察员", "shenchayuan"],
    "撤三": ["撤3", "che三", "撤叁"],
    "挂证": ["gua证", "挂正"],
    "挂靠": ["guakao", "挂kao"],
    "微信": ["V信", "薇信", "vx"],
    "官方": ["guanfang", "官fang"],
    "代理师": ["代li师", "dailishi"],
}
SEPARATORS = (" ", ".", "·", "/", "-", "_", "|", "*", "~")
EMOJI = ("🔥", "✨", "👉", "💰", "✅", "⭐", "🎉", "📞", "💯", "❤️", "🈶", "👍")
_S2T = opencc.OpenCC("s2t")


def spaced(text: str, rng: random.Random) -> str:
    """A separator between the characters of key terms (国 家 知 识 产 权 局, 内.部.渠.道)."""
    separator = rng.choice(SEPARATORS)
    return _KEY_RE.sub(lambda m: separator.join(m.group()), text)


def _spaced_window(text: str, rng: random.Random) -> str:
    """Separators inside a random run of four Chinese characters (for texts without a key term)."""
    runs = list(re.finditer(r"[\u4e00-\u9fff]{4,}", text))
    if not runs:
        return text
    run = rng.choice(runs)
    start = rng.randrange(run.start(), run.end() - 3)
    return text[:start] + rng.choice(SEPARATORS).join(text[start:start + 4]) + text[start + 4:]


def emoji(text: str, rng: random.Random) -> str:
    """Emoji inside key terms and between sentences."""
    def interleave(match: re.Match[str]) -> str:
        term = match.group()
        cut = rng.randrange(1, len(term)) if len(term) > 1 else 1
        return term[:cut] + rng.choice(EMOJI) + term[cut:]

    text = _KEY_RE.sub(interleave, text)
    return re.sub("([，。！])", lambda m: m.group(1) + rng.choice(EMOJI), text)


def traditional(text: str, rng: random.Random) -> str:
    """Traditional characters throughout (內部渠道)."""
    return _S2T.convert(text)


def full_width(text: str, rng: random.Random) -> str:
    """Full-width Latin letters and digits (ＣＮＩＰＡ, ３０天)."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def respelled(text: str, rng: random.Random) -> str:
    """Pinyin, initials or homophones for key terms (neibu 渠道, GZJ, 挂正)."""
    def swap(match: re.Match[str]) -> str:
        options = RESPELLINGS.get(match.group())
        return rng.choice(options) if options and rng.random() < 0.8 else match.group()

    return _KEY_RE.sub(swap, text)


EVASIONS: dict[str, Callable[[str, random.Random], str]] = {
    "spaced": spaced,
    "emoji": emoji,
    "traditional": traditional,
    "full_width": full_width,
    "respelled": respelled,
}


def obfuscate(text: str, evasions: Iterable[str], rng: random.Random) -> str:
    for name in evasions:
        text = EVASIONS[name](text, rng)
    return text


def obfuscate_items(items: Iterable[Item], seed: int) -> list[Item]:
    """One obfuscated copy per item: a key-term evasion, sometimes combined with traditional / full-width."""
    copies = []
    for item in items:
        rng = random.Random(f"{seed}:obfuscate:{item.id}")
        chosen = [rng.choice(("spaced", "emoji", "respelled"))]
        if rng.random() < 0.4:
            chosen.insert(0, rng.choice(("traditional", "full_width")))
        title, text = obfuscate(item.title, chosen, rng), obfuscate(item.text, chosen, rng)
        if (title, text) == (item.title, item.text):
            chosen.append("spaced")
            title, text = spaced(title, rng), spaced(text, rng)
        if (title, text) == (item.title, item.text):
            text = _spaced_window(text, rng)
        copies.append(replace(item, title=title, text=text, evasion="+".join(chosen)))
    return copies
