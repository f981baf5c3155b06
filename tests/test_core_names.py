"""The names staff read for the labels, statuses and sources are declared beside them, one for each, in their
order: a label or status added without its name fails here instead of in a report or a console page."""
from __future__ import annotations

from casework.console.web import ACTION_NAMES_ZH
from casework.workflow import TRANSITIONS
from core.labels import LABEL_NAMES_ZH, LABELS
from core.lead import SOURCE_NAMES_ZH, SOURCES, STATUS_NAMES_ZH, STATUSES


def test_every_label_status_and_source_has_one_name_in_its_order() -> None:
    assert tuple(LABEL_NAMES_ZH) == LABELS
    assert tuple(STATUS_NAMES_ZH) == STATUSES
    assert tuple(SOURCE_NAMES_ZH) == SOURCES
    for names in (LABEL_NAMES_ZH, STATUS_NAMES_ZH, SOURCE_NAMES_ZH):
        assert all(names.values()) and len(set(names.values())) == len(names), "names are given and told apart"


def test_casework_tables_keyed_by_status_cover_every_status() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert set(ACTION_NAMES_ZH) == set(STATUSES)
