"""Agencies as two parts see them: a row of the licensed patent-agency registry (the CSV the simulator writes and
the detector reads), and an agency's risk document (what casework classifies, the store's agencies index keeps,
and the CLI, the console and the weekly report show).

The risk document is a pydantic model made from the stored JSON document and giving it back unchanged by
`Agency.document()` (fields it lacks absent, a field outside the type kept whole, keys in their order), so both
stores keep exactly the documents they kept when an agency was a dict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from typing_extensions import TypedDict  # pydantic validates typing's TypedDict only from Python 3.12

from core.document import StoredDocument

REGISTRY_COLUMNS: tuple[str, ...] = ("code", "name", "district")
"""The header of the registry CSV, in its order (`district` may be left empty)."""


@dataclass(frozen=True, slots=True)
class RegisteredAgency:
    """One row of the licensed patent-agency registry: its 5-digit code, its full name and its district."""

    code: str
    name: str
    district: str


class Licence(TypedDict):
    """An agency's licence status from the registry (`status`: licensed, not_in_registry, unknown_code,
    code_of_other_agency or registry_unavailable), with the line a reviewer reads and what the registry names."""

    status: str
    note: str
    code: str | None
    registry_name: str | None


class IndicatorPoints(TypedDict):
    """One indicator of an agency's score: its values among confirmed and unreviewed leads, weight, cap, points."""

    indicator: str
    name_zh: str
    confirmed: float
    unreviewed: float
    weight: float
    cap: float
    points: float


class Agency(StoredDocument):
    """An agency's risk document: the advertiser casework found across leads, its licence, class and reasons.

    A document from an earlier classification whose leads now belong to another agency is `superseded`: kept in
    the index (not ours to delete from) with no leads and no class, and skipped by lists and reports.
    """

    id: str
    name: str = ""
    aliases: list[str] = []
    code: str | None = None
    agency_codes: list[str] = []
    licence: Licence | None = None
    contacts: dict[str, list[str]] = {}
    platforms: list[str] = []
    lead_ids: list[str] = []
    lead_count: int = 0
    labels: list[str] = []
    district: str | None = None
    districts: list[str] = []
    indicators: dict[str, float] = {}
    unreviewed_indicators: dict[str, float] = {}
    breakdown: list[IndicatorPoints] = []
    unreviewed_factor: float | None = None
    score: float | None = None
    risk_level: str | None = None
    triggered: bool = False
    links: list[dict[str, str]] = []
    first_seen: str | None = None
    last_seen: str | None = None
    updated_at: str | None = None
    superseded: bool = False

    def replaced(self, **changes: Any) -> Self:
        """This agency with `changes` made (validated like any agency), keeping the order of its fields."""
        agency = type(self).model_validate(self.document() | changes)
        agency._order = self._order
        return agency
