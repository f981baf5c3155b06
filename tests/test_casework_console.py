"""The review console over a real store: login, roles, CSRF, escaping of hostile listings, workflow actions."""
from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from casework.console.app import create_app
from tests.fixtures.casework import HOSTILE_TITLE, detection, listing

HOSTILE_TEXT = '<p onclick="steal()">国家知识产权局指定代理</p><script>alert("x")</script> 内部渠道 </textarea>'


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: TestClient, username: str, password: str) -> str:
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": _token(page.text), "next": "/leads"})
    assert response.status_code == 200, response.text
    return _token(response.text)


@pytest.fixture
def seeded(store):
    hostile = listing(1, title=HOSTILE_TITLE, text=HOSTILE_TEXT, platform="market")
    plain = listing(2, platform="services", seller="王五知产")
    leads = [store.upsert(hostile, detection(hostile).model_copy(update={"solicitation": 0.81})),
             store.upsert(plain, detection(plain, ["insider_channel"]))]
    return leads


@pytest.fixture
def client(store, users_file):
    return TestClient(create_app(store, users_file), follow_redirects=True)


def test_anonymous_users_are_sent_to_login_and_bad_passwords_refused(client, seeded):
    response = client.get(f"/leads/{seeded[0].id}")
    assert response.url.path == "/login"
    page = client.get("/login")
    refused = client.post("/login", data={"username": "alice", "password": "wrong-password",
                                          "csrf_token": _token(page.text)})
    assert refused.status_code == 401 and "用户名或密码错误" in refused.text
    assert client.post(f"/leads/{seeded[0].id}/change", data={"action": "status", "value": "reviewing"},
                       follow_redirects=False).status_code in (401, 403)


def test_hostile_listing_html_is_shown_as_text(client, seeded):
    _login(client, "alice", "reviewer-pass-1")
    for path in ("/leads", f"/leads/{seeded[0].id}"):
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html
        assert 'onclick="steal()"' not in html
    page = client.get(f"/leads/{seeded[0].id}")
    assert "&lt;p onclick=&#34;steal()&#34;&gt;" in page.text
    # Evidence highlighting wraps the matched phrase, not markup from the page.
    assert '<mark class="ev ev-impersonation"' in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_lead_page_shows_the_solicitation_score(client, seeded):
    _login(client, "alice", "reviewer-pass-1")
    assert '招揽意图 <span id="lead-solicitation">0.81</span>' in client.get(f"/leads/{seeded[0].id}").text
    assert '<span id="lead-solicitation">—</span>' in client.get(f"/leads/{seeded[1].id}").text


def test_lead_page_says_when_a_listing_was_read_without_rendering(client, seeded, store):
    why = "浏览器渲染时页面卡死，已按网页原文读取，未经渲染（did not answer in 26 s）"
    hung = {**listing(3, platform="feed"), "read_without_rendering": why}
    lead = store.upsert(hung, detection(hung))
    _login(client, "alice", "reviewer-pass-1")
    assert f'<td id="read-without-rendering">{why}</td>' in client.get(f"/leads/{lead.id}").text
    assert 'id="read-without-rendering"' not in client.get(f"/leads/{seeded[0].id}").text
    listed = client.get("/leads", params={"unrendered": "1"}).text
    assert "共 1 条" in listed and lead.id in listed and seeded[0].id not in listed


def test_every_post_needs_the_session_csrf_token(client, seeded):
    token = _login(client, "alice", "reviewer-pass-1")
    lead_id = seeded[1].id
    for data in ({"action": "status", "value": "reviewing"},
                 {"action": "status", "value": "reviewing", "csrf_token": "forged"}):
        response = client.post(f"/leads/{lead_id}/change", data=data)
        assert response.status_code == 403
    take = {"action": "status", "value": "reviewing", "csrf_token": token}
    taken = client.post(f"/leads/{lead_id}/change", data=take)
    assert taken.status_code == 200
    assert client.get(f"/leads/{lead_id}").text.count('class="audit-event"') == 1


def test_reviewer_cannot_do_admin_actions(client, seeded, store, users_file):
    token = _login(client, "alice", "reviewer-pass-1")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"username": "eve", "role": "admin", "password": "eve-password-1",
                                             "csrf_token": token}).status_code == 403
    assert "eve" not in users_file.read_text()
    assert client.get("/admin/export.xlsx").status_code == 403
    assert client.post("/admin/agencies/refresh", data={"csrf_token": token}).status_code == 403
    # Undoing a dismissal is an admin transition.
    lead_id = seeded[0].id
    for to, why in (("reviewing", ""), ("dismissed", "合法广告")):
        client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": to, "why": why, "csrf_token": token})
    page = client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": "reviewing", "csrf_token": token})
    assert "只有管理员（主管）可以把线索从“已排除”改为“审核中”" in page.text
    assert store.get(lead_id).status == "dismissed"
    # A reviewer may take an unassigned lead, not give it to someone else.
    page = client.post("/leads/bulk", data={"ids": [lead_id], "action": "assign:root", "csrf_token": token})
    assert "分配给他人需要管理员" in page.text and not store.get(lead_id).assignee


def test_admin_can_add_users_export_and_reopen(client, seeded, store, users_file):
    token = _login(client, "root", "admin-pass-123")
    client.post("/admin/users", data={"username": "carol", "role": "reviewer", "password": "carol-pass-1",
                                      "csrf_token": token})
    assert "carol" in users_file.read_text() and "carol-pass-1" not in users_file.read_text()
    lead_id = seeded[0].id
    for to in ("reviewing", "confirmed"):
        client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": to, "csrf_token": token})
    export = client.get("/admin/export.csv")
    assert export.status_code == 200 and lead_id in export.content.decode("utf-8-sig")
    assert seeded[1].id not in export.content.decode("utf-8-sig")
    client.post(f"/leads/{lead_id}/change",
                data={"action": "status", "value": "dismissed", "why": "误报", "csrf_token": token})
    assert store.get(lead_id).status == "dismissed"


def test_the_lead_pages_forms_change_status_assignee_and_district_each_audited(client, seeded, store):
    lead_id = seeded[1].id
    token = _login(client, "alice", "reviewer-pass-1")
    page = client.get(f"/leads/{lead_id}").text
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrf_token"[^>]*>'
                       r'\s*<input type="hidden" name="action" value="(\w+)">', page)
    assert {action for path, action in forms if path == f"/leads/{lead_id}/change"} == {"status", "assign", "district"}
    for action, value in (("status", "reviewing"), ("assign", "alice"), ("district", "徐汇区")):
        client.post(f"/leads/{lead_id}/change", data={"action": action, "value": value, "csrf_token": token})
    lead = store.get(lead_id)
    assert (lead.status, lead.assignee, lead.district) == ("reviewing", "alice", "徐汇区")
    assert [event["action"] for event in lead.audit] == ["status", "assignee", "district"]
    refused = client.post(f"/leads/{lead_id}/change", data={"action": "district", "value": "火星区",
                                                             "csrf_token": token})
    assert "没有“火星区”这个区" in refused.text and store.get(lead_id).district == "徐汇区"
    missing = client.post("/leads/0000/change", data={"action": "status", "value": "reviewing", "csrf_token": token})
    assert missing.status_code == 404


def test_filters_and_bulk_actions(client, seeded, store):
    token = _login(client, "alice", "reviewer-pass-1")
    page = client.get("/leads", params={"platform": "services"})
    assert seeded[1].id in page.text and seeded[0].id not in page.text
    page = client.get("/leads", params={"label": "impersonation"})
    assert seeded[0].id in page.text and seeded[1].id not in page.text
    page = client.get("/leads", params={"q": "王五知产"})
    assert seeded[1].id in page.text and seeded[0].id not in page.text
    assert "共 0 条" in client.get("/leads", params={"status": "confirmed"}).text
    page = client.post("/leads/bulk", data={"ids": [s.id for s in seeded], "action": "status:reviewing",
                                            "csrf_token": token, "back": "/leads?status=reviewing"})
    assert "已处理 2 条" in page.text
    assert {store.get(s.id).status for s in seeded} == {"reviewing"}
    page = client.post("/leads/bulk", data={"ids": [seeded[0].id], "action": "status:dismissed",
                                            "csrf_token": token})
    assert "排除线索必须填写理由" in page.text
    client.post("/leads/bulk", data={"ids": [seeded[0].id], "action": "assign:me", "csrf_token": token})
    assert store.get(seeded[0].id).assignee == "alice"
    assert client.get("/leads", params={"min_risk": "abc"}).status_code == 400


def test_lead_page_serves_screenshot_and_evidence_package(client, store, casework_env):
    import io
    import zipfile

    shot = casework_env / "evidence" / "shot.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(b"\x89PNG\r\n\x1a\nnot really an image")
    with_shot = listing(7, screenshot_path=str(shot))
    lead = store.upsert(with_shot, detection(with_shot))
    without = listing(8)
    bare = store.upsert(without, detection(without))
    _login(client, "alice", "reviewer-pass-1")
    assert f'src="/leads/{lead.id}/screenshot"' in client.get(f"/leads/{lead.id}").text
    image = client.get(f"/leads/{lead.id}/screenshot")
    assert image.headers["content-type"] == "image/png" and image.content == shot.read_bytes()
    assert client.get(f"/leads/{bare.id}/screenshot").status_code == 404
    package = client.get(f"/leads/{lead.id}/evidence.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        assert archive.read("screenshot.png") == shot.read_bytes()


def test_lead_page_says_when_its_screenshot_does_not_show_the_quoted_passages(client, store, casework_env):
    """A listing whose page changed for the browser's visit: the lead page and the evidence package say that its
    screenshot shows none of the passages the detector quoted, and which; an honest one says nothing."""
    import io
    import json
    import zipfile

    cloaked = {**listing(9), "screenshot_shows": {"passages": 2, "shown": 0,
                                                  "missing": ["国家知识产权局指定代理", "内部渠道"]}}
    lead = store.upsert(cloaked, detection(cloaked))
    honest = listing(10)
    plain = store.upsert(honest, detection(honest))
    _login(client, "alice", "reviewer-pass-1")
    page = client.get(f"/leads/{lead.id}").text
    assert 'id="screenshot-shows"' in page and "截图未显示检测到的2处违法内容原文中的2处" in page
    assert "未显示：内部渠道" in page
    assert 'id="screenshot-shows"' not in client.get(f"/leads/{plain.id}").text
    package = client.get(f"/leads/{lead.id}/evidence.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    shows = manifest["screenshot_shows"]
    assert shows["shown"] == 0 and "以网页原文及WARC存档为准" in shows["said"]


def test_store_outage_is_a_clear_error_page(users_file, casework_env, tmp_path):
    from index.es_store import EsLeadStore

    down = EsLeadStore("http://127.0.0.1:9", index_prefix="casework-down", spool_dir=tmp_path / "spool")
    client = TestClient(create_app(down, users_file))
    token = _token(client.get("/login").text)
    client.post("/login", data={"username": "alice", "password": "reviewer-pass-1", "csrf_token": token},
                follow_redirects=False)
    page = client.get("/leads")
    assert page.status_code == 503 and "线索库暂时不可用" in page.text


def test_errors_are_shown_in_chinese(client, seeded):
    _login(client, "alice", "reviewer-pass-1")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.text and "Not Found" not in missing.text
    lead = client.get("/leads/0000000000")
    assert lead.status_code == 404 and "没有编号为 0000000000 的线索" in lead.text
    wrong = client.put("/leads")
    assert wrong.status_code == 405 and "不支持这种请求方式" in wrong.text


def test_complaint_form_warns_as_the_cli_does_when_the_agency_registry_cannot_be_read(
        client, tmp_path, monkeypatch) -> None:
    """Screenshots and links taken at the form are detected without deciding unlicensed_agency: the form says so
    first, in the words `lantian complaints add` prints, and says nothing once the registry is readable."""
    from detector.registry import NOT_DECIDED, registry_warning
    from tests.fixtures.detector import write_registry

    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(tmp_path / "no-registry.csv"))
    _login(client, "alice", "reviewer-pass-1")
    form = client.get("/complaints/new").text
    assert 'id="registry-warning"' in form and NOT_DECIDED in form
    assert str(tmp_path / "no-registry.csv") in form and registry_warning() in html.unescape(form)
    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(write_registry(tmp_path / "registry.csv")))
    assert 'id="registry-warning"' not in client.get("/complaints/new").text


def test_confirming_on_the_lead_page_names_the_violations_that_hold(client, seeded, store):
    """The confirm form lists the lead's labels, each ticked: the reviewer unticks one the detector got wrong, and
    only the ticked ones are confirmed (what letters and case files state); unticking all is refused."""
    token = _login(client, "alice", "reviewer-pass-1")
    lead_id = seeded[0].id  # impersonation and insider_channel
    client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": "reviewing", "csrf_token": token})
    page = client.get(f"/leads/{lead_id}").text
    assert 'id="confirm-label-impersonation" checked' in page and 'id="confirm-label-insider_channel" checked' in page
    refused = client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": "confirmed",
                                                            "choose_labels": "1", "csrf_token": token})
    assert "须从该线索的违法情形中至少确认一项" in refused.text and store.get(lead_id).status == "reviewing"
    client.post(f"/leads/{lead_id}/change", data={"action": "status", "value": "confirmed", "choose_labels": "1",
                                                  "label": ["impersonation"], "csrf_token": token})
    lead = store.get(lead_id)
    assert lead.status == "confirmed" and lead.confirmed_violations() == ["impersonation"]
    assert "确认的违法情形：冒用官方名义、标识" in lead.audit[-1]["why"]
    page = client.get(f"/leads/{lead_id}").text  # the label left out is shown as such
    assert 'id="unconfirmed-insider_channel">（审核未确认，函件不列）' in page
    assert 'id="unconfirmed-impersonation"' not in page
