"""The review workflow: which status changes are allowed, and the audit event each change leaves behind.

The lead store only records changes (`LeadStore.update_workflow` applies them and appends the event atomically);
this module decides whether a change is allowed, so every tool (console, CLI, takedown, re-check) refuses the same
invalid transitions with the same message.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.labels import label_names_zh
from core.lead import STATUS_NAMES_ZH, STATUSES, AuditEvent, Lead
from index.store import LeadStore

# Statuses of a lead whose platform was sent a takedown request: the request and each outcome a re-check finds.
NOTICED_STATUSES: tuple[str, ...] = ("takedown_requested", "removed", "persisting", "resolved_by_edit")
# Statuses that mean a reviewer (or a supervisor) confirmed the violation: cases, positive training examples and
# confirmed violations of an agency.
CONFIRMED_STATUSES: tuple[str, ...] = ("confirmed", *NOTICED_STATUSES)

FIELD_NAMES_ZH: dict[str, str] = {"assignee": "承办人", "district": "所属区"}

# Forward steps any reviewer may take.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"reviewing", "escalated"}),
    "reviewing": frozenset({"confirmed", "dismissed", "new", "escalated"}),
    "escalated": frozenset(),
    "confirmed": frozenset({"takedown_requested", "reviewing"}),
    "dismissed": frozenset(),
    "takedown_requested": frozenset({"removed", "persisting", "resolved_by_edit"}),
    "removed": frozenset({"persisting"}),
    "persisting": frozenset({"takedown_requested", "removed", "resolved_by_edit"}),
    "resolved_by_edit": frozenset({"persisting", "removed"}),
}

# Steps that undo a decision or decide an escalated lead: only an admin (the supervisor) may take them.
ADMIN_TRANSITIONS: dict[str, frozenset[str]] = {
    "escalated": frozenset({"confirmed", "dismissed", "reviewing"}),
    "dismissed": frozenset({"reviewing"}),
    "confirmed": frozenset({"dismissed"}),
}


class WorkflowError(ValueError):
    """A change the workflow refuses; the message says why in words a reviewer understands, in English for the
    CLI and logs and in Chinese (`zh`) for the console."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def _zh(status: Any) -> str:
    return STATUS_NAMES_ZH.get(str(status), str(status))


@dataclass(frozen=True)
class Change:
    """What to store for one workflow change: the fields to set and the audit event to append."""

    lead_id: str
    changes: dict[str, Any]
    event: dict[str, Any]


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def allowed_next(status: str, role: str = "reviewer") -> list[str]:
    """The statuses a user with `role` may move a lead to from `status`, in workflow order."""
    nxt = set(TRANSITIONS.get(status, frozenset()))
    if role in ("admin", "system"):
        nxt |= ADMIN_TRANSITIONS.get(status, frozenset())
    return [s for s in STATUSES if s in nxt]


def status_events(lead: Lead, to: Collection[str]) -> list[AuditEvent]:
    """The audit events that moved `lead` to one of the statuses `to`, oldest first."""
    return [event for event in lead.audit if event.get("action") == "status" and event.get("to") in to]


def last_status_event(lead: Lead, to: str) -> AuditEvent:
    """The latest audit event that moved `lead` to status `to` (who, when, why); {} when none did."""
    events = status_events(lead, (to,))
    return events[-1] if events else {}


def _event(action: str, by: str, before: Any, after: Any, why: str | None) -> dict[str, Any]:
    return {"at": now_iso(), "by": by, "action": action, "from": before, "to": after, "why": why or ""}


def plan_status(lead: Lead, to: str, *, by: str, why: str | None = None,
                role: str = "reviewer", extra: Mapping[str, Any] | None = None,
                labels: Sequence[str] | None = None) -> Change:
    """The change moving `lead` to status `to`, or WorkflowError if the move is not allowed.

    A dismissal needs a reason (kept in `dismissal_reason`); `extra` fields (e.g. `takedown_deadline`) are stored
    with the status. A confirmation records which of the lead's labels the reviewer found to hold
    (`confirmed_labels`: `labels`, a non-empty subset of the lead's, or all of them), which letters and case files
    state as its violations; the audit event's reason names them when they are fewer than the lead's.
    """
    current = lead.status
    if to not in STATUSES:
        raise WorkflowError(f"unknown status {to!r}: use one of {', '.join(STATUSES)}", f"没有“{to}”这个状态")
    if not by:
        raise WorkflowError("every change needs the user who makes it", "每项变更都要记录操作人")
    if to == current:
        raise WorkflowError(f"lead {lead.id} is already {to}", f"该线索已是“{_zh(to)}”")
    if to not in allowed_next(current, role):
        if to in allowed_next(current, "admin"):
            raise WorkflowError(f"only an admin may move a lead from {current} to {to}",
                                f"只有管理员（主管）可以把线索从“{_zh(current)}”改为“{_zh(to)}”")
        options = ", ".join(allowed_next(current, role)) or "nothing (final status)"
        options_zh = "、".join(_zh(s) for s in allowed_next(current, role)) or "无（已是最终状态）"
        raise WorkflowError(f"cannot move lead {lead.id} from {current} to {to}; allowed: {options}",
                            f"不能把线索从“{_zh(current)}”改为“{_zh(to)}”；可改为：{options_zh}")
    changes: dict[str, Any] = {"status": to, **(extra or {})}
    if labels is not None and to != "confirmed":
        raise WorkflowError("labels are named only when confirming a lead", "只有确认违法时才能选择违法情形")
    if to == "confirmed":
        chosen = list(lead.labels) if labels is None else [label for label in lead.labels if label in labels]
        unknown = [label for label in labels or () if label not in lead.labels]
        if unknown or (labels is not None and not chosen):
            raise WorkflowError(f"confirm one or more of the lead's labels ({', '.join(lead.labels) or 'none'}); "
                                f"not: {', '.join(unknown) or 'none chosen'}",
                                f"须从该线索的违法情形中至少确认一项（{label_names_zh(lead.labels) or '无'}）")
        changes["confirmed_labels"] = chosen
        if len(chosen) < len(lead.labels):
            named = f"确认的违法情形：{label_names_zh(chosen)}"
            given = (why or "").strip()
            why = f"{given}（{named}）" if given else named
    if to == "escalated" and not (why or "").strip():
        raise WorkflowError("an escalation needs a reason for the supervisor", "提交主管必须说明原因")
    if to == "dismissed":
        if not (why or "").strip():
            raise WorkflowError("a dismissal needs a reason", "排除线索必须填写理由")
        changes["dismissal_reason"] = (why or "").strip()
    return Change(lead.id, changes, _event("status", by, current, to, why))


def plan_field(lead: Lead, field: str, value: Any, *, by: str, why: str | None = None) -> Change:
    """The change setting `assignee` or `district` (also audited: who, when, from, to, why)."""
    if field not in ("assignee", "district"):
        raise WorkflowError(f"{field!r} is not a workflow field (assignee, district)", f"不能修改字段“{field}”")
    if not by:
        raise WorkflowError("every change needs the user who makes it", "每项变更都要记录操作人")
    before = lead.assignee if field == "assignee" else lead.district
    value = value or None
    if before == value:
        raise WorkflowError(f"lead {lead.id}: {field} is already {value or 'empty'}",
                            f"该线索的{FIELD_NAMES_ZH.get(field, field)}已是“{value or '空'}”")
    return Change(lead.id, {field: value}, _event(field, by, before, value, why))


def apply(store: LeadStore, change: Change) -> Lead:
    """Record `change` in the store (fields and audit event in one atomic update); returns the updated lead."""
    return store.update_workflow(change.lead_id, change.changes, change.event)


def set_status(store: LeadStore, lead_id: str, to: str, *, by: str, why: str | None = None, role: str = "reviewer",
               extra: Mapping[str, Any] | None = None, labels: Sequence[str] | None = None) -> Lead:
    """Load the lead, check the transition and record it; WorkflowError if unknown lead or not allowed."""
    lead = store.get(lead_id)
    if lead is None:
        raise WorkflowError(f"no lead {lead_id}", f"没有编号为 {lead_id} 的线索")
    return apply(store, plan_status(lead, to, by=by, why=why, role=role, extra=extra, labels=labels))


def set_field(store: LeadStore, lead_id: str, field: str, value: Any, *, by: str,
              why: str | None = None) -> Lead:
    lead = store.get(lead_id)
    if lead is None:
        raise WorkflowError(f"no lead {lead_id}", f"没有编号为 {lead_id} 的线索")
    return apply(store, plan_field(lead, field, value, by=by, why=why))
