"""Complaints from the public: recorded with a link and a screenshot, worked through the lead workflow, answered.

The CLI runs in subprocesses (the capture of links starts the crawler's reactor) in a workspace of its own.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from casework.complaints import ComplaintRegister
from core.lead import lead_id
from simulator.images import render_text_image
from tests.fixtures.workspace import CrawlWorkspace

LANTIAN = Path(sys.executable).with_name("lantian")
CLAIM = "国家知识产权局指定代理 内部渠道 30天下证 包授权"
PRIVATE_PHONE = "13912345678"


class Workspace(CrawlWorkspace):
    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(LANTIAN), *args], env=self.env, capture_output=True, text=True, timeout=900)
        if ok:
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        return result

    def leads(self) -> Any:
        from index.sqlite_store import SqliteLeadStore

        return SqliteLeadStore(self.data / "index" / "leads.sqlite3")

    def register(self) -> ComplaintRegister:
        return ComplaintRegister(self.data / "casework" / "complaints.sqlite3")


@pytest.mark.slow
@pytest.mark.browser
def test_a_complaint_with_a_link_and_a_screenshot_through_to_its_answer(simulator: Any, tmp_path: Path) -> None:
    work = Workspace(tmp_path, simulator)
    item = next(t for t in simulator.ground_truth() if t["platform"] == "market" and t["kind"] == "violation"
                and t["status"] == "active" and t["quirk"] is None)
    shot = tmp_path / "moments.png"
    shot.write_bytes(render_text_image(CLAIM))

    work.run("complaints", "add", "--report", "朋友圈和淘宝上有人冒充国知局代理商标", "--name", "张先生",
             "--phone", PRIVATE_PHONE, "--channel", "电话", "--url", item["url"], "--screenshot", str(shot),
             "--screenshot-platform", "wechat", "--by", "alice", "--endpoints", str(work.endpoints))

    with work.register() as register:
        [complaint] = register.all()
    assert complaint.number == 1 and complaint.complainant == {"name": "张先生", "phone": PRIVATE_PHONE}
    assert [c["outcome"] for c in complaint.captures] == ["captured"]
    [screenshot] = complaint.screenshots
    assert screenshot["sha256"] == hashlib.sha256(shot.read_bytes()).hexdigest()
    assert Path(screenshot["path"]).read_bytes() == shot.read_bytes(), "kept byte for byte"
    assert "内部渠道" in screenshot["ocr_text"]
    page_lead, shot_lead = lead_id(item["url"]), screenshot["lead_id"]
    assert complaint.lead_ids == [shot_lead, page_lead]

    store = work.leads()
    try:
        for wanted, platform in ((page_lead, "market"), (shot_lead, "wechat")):
            lead = store.get(wanted)
            assert lead.source == "complaint" and lead.complaints == [1] and lead.platform == platform
            assert lead.labels, f"{platform} lead fired no label"
        assert "impersonation" in store.get(shot_lead).labels
        assert store.get(shot_lead).screenshot_sha256 == screenshot["sha256"]
    finally:
        store.close()
    verify = work.run("evidence", "verify")
    assert "OK" in verify.stdout

    listed = work.run("complaints", "list")
    assert "open" in listed.stdout and "核查中" in listed.stdout
    refused = work.run("complaints", "reply", "1", "--by", "alice", ok=False)
    assert refused.returncode == 1 and "still open" in refused.stderr

    # The leads follow the workflow: the page is taken down after a request, the screenshot's post is dismissed.
    for step in (("reviewing",), ("confirmed",)):
        work.run("cases", "status", page_lead, *step, "--by", "alice")
    work.run("takedown", "--platform", "market", "--out", str(tmp_path / "letters"), "--by", "alice")
    work.run("cases", "status", page_lead, "removed", "--by", "alice")
    work.run("cases", "status", shot_lead, "reviewing", "--by", "alice")
    work.run("cases", "status", shot_lead, "dismissed", "--by", "alice", "--why", "截图内容无法核实发布者")
    export = tmp_path / "cases.csv"
    work.run("cases", "export", "--out", str(export), "--status", "removed")
    assert "ready" in work.run("complaints", "list").stdout

    answered = work.run("complaints", "reply", "1", "--by", "alice", "--out", str(tmp_path / "replies"))
    assert "answered" in answered.stdout
    [text_file] = (tmp_path / "replies").glob("*.txt")
    [docx_file] = (tmp_path / "replies").glob("*.docx")
    text = text_file.read_text("utf-8")
    assert text.startswith("关于举报投诉第1号的答复") and "张先生：" in text
    assert "平台已删除" in text and "截图内容无法核实发布者" in text and item["url"] in text
    assert "\n".join(p.text for p in Document(str(docx_file)).paragraphs).count("张先生") == 1
    # The complainant's contact stays out of the letters to platforms and the case exports.
    for path in [*(tmp_path / "letters").rglob("*.*"), export]:
        assert PRIVATE_PHONE.encode() not in path.read_bytes() and "张先生".encode() not in path.read_bytes(), path

    with work.register() as register:
        complaint = register.get(1)
    assert complaint.reply["by"] == "alice" and [e["action"] for e in complaint.audit][-1] == "reply"
    store = work.leads()
    try:
        assert store.get(page_lead).audit[-1]["action"] == "complaint_reply"
    finally:
        store.close()
    again = work.run("complaints", "reply", "1", ok=False)
    assert again.returncode == 1 and "was answered" in again.stderr
    assert re.search(r"was answered on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", again.stderr), again.stderr
    shown = json.dumps(work.run("complaints", "list", "--all").stdout, ensure_ascii=False)
    assert "answered" in shown
