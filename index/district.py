"""The Shanghai district a lead belongs to, read from the seller's address or registration text."""
from __future__ import annotations

import re

DISTRICTS: tuple[str, ...] = (
    "浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区",
    "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区", "临港新片区",
)

# Short forms people write ("上海浦东", "徐汇"), checked after the full names; 临港 before 浦东 because the
# Lingang special area lies inside Pudong but has its own bureau.
_SHORT_FORMS: tuple[tuple[str, str], ...] = (
    ("临港", "临港新片区"), ("浦东", "浦东新区"), ("黄浦", "黄浦区"), ("徐汇", "徐汇区"), ("长宁", "长宁区"),
    ("静安", "静安区"), ("普陀", "普陀区"), ("虹口", "虹口区"), ("杨浦", "杨浦区"), ("闵行", "闵行区"),
    ("宝山", "宝山区"), ("嘉定", "嘉定区"), ("金山", "金山区"), ("松江", "松江区"), ("青浦", "青浦区"),
    ("奉贤", "奉贤区"), ("崇明", "崇明区"),
)
_SPACES = re.compile(r"\s+")


def find_district(*texts: object) -> str | None:
    """The first district named in `texts` (address first), full names before short forms; None if none."""
    cleaned = [_SPACES.sub("", str(t)) for t in texts if t]
    for text in cleaned:
        if "临港新片区" in text or "临港" in text:
            return "临港新片区"
        for name in DISTRICTS:
            if name in text:
                return name
    for text in cleaned:
        for short, name in _SHORT_FORMS:
            if short in text:
                return name
    return None
