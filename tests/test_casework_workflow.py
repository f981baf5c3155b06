"""The review workflow: allowed and refused transitions, and the append-only audit trail in a real store."""
from __future__ import annotations

import copy

import pytest

from casework import workflow
from casework.workflow import WorkflowError
from core.lead import Lead
from tests.fixtures.casework import detection, listing


def test_forward_path_is_allowed_and_every_step_is_audited(store):
    item = listing(1)
    lead = store.upsert(item, detection(item))
    for to in ("reviewing", "confirmed", "takedown_requested", "persisting", "takedown_requested", "removed"):
        lead = workflow.set_status(store, lead.id, to, by="alice", why=f"step {to}")
    assert lead.status == "removed"
    steps = [(e["from"], e["to"]) for e in lead.audit]
    assert steps == [("new", "reviewing"), ("reviewing", "confirmed"), ("confirmed", "takedown_requested"),
                     ("takedown_requested", "persisting"), ("persisting", "takedown_requested"),
                     ("takedown_requested", "removed")]
    assert all(e["by"] == "alice" and e["at"] and e["action"] == "status" for e in lead.audit)
    assert lead.audit[1]["why"] == "step confirmed"


@pytest.mark.parametrize("start, to, message", [
    ([], "confirmed", "cannot move lead .* from new to confirmed; allowed: reviewing"),
    ([], "removed", "from new to removed"),
    (["reviewing"], "takedown_requested", "from reviewing to takedown_requested"),
    (["reviewing", "dismissed"], "confirmed", "allowed: nothing"),
    (["reviewing", "dismissed"], "reviewing", "only an admin"),
    ([], "closed", "unknown status 'closed'"),
    ([], "new", "already new"),
])
def test_invalid_transitions_are_refused_with_a_clear_message(store, start, to, message):
    item = listing(2)
    lead = store.upsert(item, detection(item))
    for step in start:
        lead = workflow.set_status(store, lead.id, step, by="alice", why="reason")
    before = store.get(lead.id)
    with pytest.raises(WorkflowError, match=message):
        workflow.set_status(store, lead.id, to, by="alice", why="x")
    assert store.get(lead.id) == before


def test_dismissal_needs_a_reason_which_is_kept(store):
    item = listing(3)
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    with pytest.raises(WorkflowError, match="needs a reason"):
        workflow.set_status(store, lead.id, "dismissed", by="alice", why="  ")
    lead = workflow.set_status(store, lead.id, "dismissed", by="alice", why="持证机构陈述事实")
    assert lead.dismissal_reason == "持证机构陈述事实"
    reopened = workflow.set_status(store, lead.id, "reviewing", by="root", why="复核", role="admin")
    assert reopened.status == "reviewing"


def test_assignee_and_district_changes_are_audited(store):
    item = listing(4, location="")
    lead = store.upsert(item, detection(item))
    lead = workflow.set_field(store, lead.id, "assignee", "alice", by="root", why="本周值班")
    lead = workflow.set_field(store, lead.id, "district", "徐汇区", by="alice")
    assert (lead.assignee, lead.district) == ("alice", "徐汇区")
    assert [(e["action"], e["from"], e["to"]) for e in lead.audit] == [
        ("assignee", None, "alice"), ("district", None, "徐汇区")]
    with pytest.raises(WorkflowError, match="already alice"):
        workflow.set_field(store, lead.id, "assignee", "alice", by="root")
    with pytest.raises(WorkflowError, match="not a workflow field"):
        workflow.plan_field(lead, "status", "confirmed", by="root")


def test_audit_trail_is_append_only_across_changes_and_recrawls(store):
    item = listing(5)
    lead = store.upsert(item, detection(item))
    lead = workflow.set_status(store, lead.id, "reviewing", by="alice")
    lead = workflow.set_status(store, lead.id, "confirmed", by="alice", why="冒用国知局名义")
    snapshot = copy.deepcopy(lead.audit)
    # A re-crawl with new content keeps the workflow and its history.
    recrawled = {**item, "fetched_at": "2026-11-24T08:00:00Z", "text": item["text"] + " 新增内容"}
    lead = store.upsert(recrawled, detection(recrawled))
    assert lead.status == "confirmed" and lead.audit == snapshot
    store.add_note(lead.id, {"by": "alice", "text": "已截图"})
    lead = workflow.set_field(store, lead.id, "assignee", "bob", by="root")
    assert lead.audit[:len(snapshot)] == snapshot
    assert len(lead.audit) == len(snapshot) + 1
    # The workflow never produces a change that touches the audit list itself.
    change = workflow.plan_status(lead, "takedown_requested", by="root")
    assert "audit" not in change.changes
    with pytest.raises(ValueError):
        store.update_workflow(lead.id, {"audit": []}, {"by": "mallory", "action": "status"})
    assert store.get(lead.id).audit[:len(snapshot)] == snapshot


def test_an_escalated_lead_waits_for_a_supervisor_who_decides_it(store):
    item = listing(7)
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    lead = workflow.set_status(store, lead.id, "escalated", by="alice", why="拿不准，请主管定")
    assert workflow.allowed_next("escalated", "reviewer") == []
    with pytest.raises(WorkflowError, match="only an admin may move a lead from escalated to confirmed"):
        workflow.set_status(store, lead.id, "confirmed", by="alice")
    lead = workflow.set_status(store, lead.id, "confirmed", by="root", why="冒用官方名义", role="admin")
    assert [(e["from"], e["to"], e["by"]) for e in lead.audit][-2:] == [
        ("reviewing", "escalated", "alice"), ("escalated", "confirmed", "root")]


def test_a_listing_edited_clean_after_a_request_can_be_resolved_by_edit_and_reopened_if_it_returns(store):
    item = listing(8)
    lead = store.upsert(item, detection(item))
    for to in ("reviewing", "confirmed", "takedown_requested"):
        workflow.set_status(store, lead.id, to, by="alice")
    lead = workflow.set_status(store, lead.id, "resolved_by_edit", by="recheck", role="system")
    assert workflow.allowed_next("resolved_by_edit") == ["removed", "persisting"]
    assert lead.status in workflow.CONFIRMED_STATUSES


def test_a_leads_status_events_are_its_moves_to_those_statuses_oldest_first() -> None:
    """What exports, reports, the watchlist and the supervisor's queue read from the audit trail: a move to a
    status, not another change whose value happens to be spelt like one."""
    def event(action: str, to: str, at: str) -> dict:
        return {"at": at, "by": "alice", "action": action, "from": None, "to": to, "why": ""}

    lead = Lead(id="L1", status="confirmed", audit=[
        event("assignee", "confirmed", "2026-12-01T00:00:00Z"),
        event("status", "reviewing", "2026-12-01T01:00:00Z"),
        event("status", "confirmed", "2026-12-01T02:00:00Z"),
        event("status", "reviewing", "2026-12-02T01:00:00Z"),
        event("status", "confirmed", "2026-12-02T02:00:00Z"),
    ])
    moves = workflow.status_events(lead, ("confirmed", "dismissed"))
    assert [e["at"] for e in moves] == ["2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z"]
    assert workflow.last_status_event(lead, "confirmed")["at"] == "2026-12-02T02:00:00Z"
    assert workflow.last_status_event(lead, "dismissed") == {}


def test_a_reviewer_confirms_the_labels_that_hold_and_only_those_are_the_leads_violations(store):
    """The detector gives a listing several labels; the reviewer may find one of them wrong. Confirming names the
    labels that hold (all of them by default), and the lead's violations — what letters and case files state —
    are those; the audit says which when they are fewer. A re-crawl leaves the reviewer's choice alone."""
    item = listing(1)
    labels = ["impersonation", "insider_channel", "abnormal_filing"]
    lead = store.upsert(item, detection(item, labels))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    with pytest.raises(WorkflowError, match="confirm one or more of the lead's labels") as refused:
        workflow.set_status(store, lead.id, "confirmed", by="alice", labels=["unlicensed_agency"])
    assert "须从该线索的违法情形中至少确认一项" in refused.value.zh
    with pytest.raises(WorkflowError, match="only when confirming"):
        workflow.set_status(store, lead.id, "dismissed", by="alice", why="不实", labels=["impersonation"])
    lead = workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分",
                               labels=["insider_channel", "impersonation"])
    assert lead.confirmed_labels == ["impersonation", "insider_channel"] == lead.confirmed_violations()
    assert lead.labels == labels
    assert lead.audit[-1]["why"] == "证据充分（确认的违法情形：冒用官方名义、标识；声称内部渠道、快速授权）"
    store.upsert(item, detection(item, labels))  # the listing seen again
    assert store.get(lead.id).confirmed_violations() == ["impersonation", "insider_channel"]

    other = listing(2)
    whole = store.upsert(other, detection(other, labels))
    workflow.set_status(store, whole.id, "reviewing", by="alice")
    whole = workflow.set_status(store, whole.id, "confirmed", by="alice")
    assert whole.confirmed_labels == labels and not whole.audit[-1]["why"]
    assert Lead(id="x", labels=["impersonation"]).confirmed_violations() == ["impersonation"]  # confirmed before
