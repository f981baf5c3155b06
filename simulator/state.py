"""What the admin did to the world: listings edited, removed (delisted or gone with a 404), restored and added.

Generated listings are never stored; the admin's changes are kept apart and laid over a listing when it is shown.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.generator import Skeleton
from simulator.listing import Listing, UnknownListing, listing_id

EDITABLE = ("title", "text", "price", "labels", "kind")
REMOVALS = ("delisted", "404")


@dataclass
class Change:
    """What the admin did to one listing."""

    fields: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    removed_as: str | None = None


class AdminState:
    """The admin's changes by listing number, and the listings added (a skeleton, or a listing written by hand)."""

    def __init__(self, exists: Callable[[int], bool]) -> None:
        self.exists = exists
        self.changes: dict[int, Change] = {}
        self.added: dict[int, Skeleton | Listing] = {}

    def is_active(self, index: int) -> bool:
        change = self.changes.get(index)
        return change is None or change.removed_as is None

    def any_removed(self) -> bool:
        return any(change.removed_as for change in self.changes.values())

    def applied(self, listing: Listing) -> Listing:
        """`listing` (as generated or added) with the admin's edits and removal, in place."""
        change = self.changes.get(listing.index)
        if change:
            for name, value in change.fields.items():
                if name == "text":
                    listing.paragraphs = [line for line in str(value).split("\n") if line.strip()]
                else:
                    setattr(listing, name, value)
            listing.version = change.version
            if change.removed_as:
                listing.status, listing.removed_as = "removed", change.removed_as
        return listing

    def remove(self, index: int, mode: str = "delisted") -> None:
        if mode not in REMOVALS:
            raise ValueError("mode must be delisted or 404")
        self._check(index)
        self.changes.setdefault(index, Change()).removed_as = mode

    def restore(self, index: int) -> None:
        self._check(index)
        if index in self.changes:
            self.changes[index].removed_as = None

    def edit(self, index: int, changes: dict[str, Any]) -> None:
        self._check(index)
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
        change = self.changes.setdefault(index, Change())
        for name, value in changes.items():
            if name == "labels":
                value = tuple(sorted(value))
            change.fields[name] = value
        change.version += 1

    def _check(self, index: int) -> None:
        if not self.exists(index):
            raise UnknownListing(listing_id(index))


def written(base: Listing, fields: dict[str, Any]) -> Listing:
    """The listing the admin wrote: `base` (generated for its platform and seller) with the given title, text,
    price, keywords, labels and kind; ValueError naming any other field."""
    fields = dict(fields)
    keywords = tuple(fields.pop("keywords", ()) or base.keywords)
    labels = tuple(sorted(fields.pop("labels", ()) or ()))
    text = str(fields.pop("text", base.text))
    listing = replace(
        base,
        title=str(fields.pop("title", base.title)),
        paragraphs=[line for line in text.split("\n") if line.strip()],
        price=str(fields.pop("price")) if "price" in fields else base.price,
        keywords=keywords,
        labels=labels,
        kind=str(fields.pop("kind", "violation" if labels else "unrelated")),
        evasion="none",
        image_text=None,
        duplicate_of=None,
        group="admin",
    )
    if fields:
        raise ValueError(f"unknown fields: {', '.join(sorted(fields))}")
    return listing
