"""Kibana assets: every field they use exists in the leads mapping, every reference resolves, and the setup
command posts them to the saved objects import API."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from typer.testing import CliRunner

from index.kibana_setup import render, saved_objects
from index.mapping import LEADS_MAPPING
from lantian.cli import app
from tests.fixtures.servers import local_http_server

KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*(?::|>=|<=|>|<)")


def mapped_fields(properties: dict[str, Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, spec in properties.items():
        path = prefix + name
        names.add(path)
        names |= {f"{path}.{sub}" for sub in spec.get("fields", {})}
        names |= mapped_fields(spec.get("properties", {}), path + ".")
    return names


def referenced_fields(objects: list[dict[str, Any]]) -> set[str]:
    """Fields named by the data view, saved searches, KQL queries and visualization aggregations."""
    fields: set[str] = set()
    for obj in objects:
        attrs = obj["attributes"]
        if obj["type"] == "index-pattern":
            fields.add(attrs["timeFieldName"])
            fields |= set(json.loads(attrs["fieldFormatMap"])) | set(json.loads(attrs["fieldAttrs"]))
        if obj["type"] == "search":
            fields |= set(attrs["columns"]) | {field for field, _ in attrs["sort"]}
        search_source = attrs.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        queries = [json.loads(search_source)["query"]["query"]] if search_source else []
        if obj["type"] == "visualization":
            for agg in json.loads(attrs["visState"])["aggs"]:
                if "field" in agg["params"]:
                    fields.add(agg["params"]["field"])
                queries += [f["input"]["query"] for f in agg["params"].get("filters", [])]
        for query in queries:
            fields |= set(KQL_FIELD.findall(query))
    return fields


def test_every_referenced_field_is_in_the_mapping() -> None:
    fields = referenced_fields(saved_objects())
    assert {"first_seen", "labels", "platform", "district", "status", "risk", "solicitation", "screenshot_path",
            "agency_name.keyword"} <= fields
    assert fields - mapped_fields(LEADS_MAPPING["properties"]) == set()


def test_every_reference_resolves() -> None:
    objects = saved_objects()
    ids = {(o["type"], o["id"]) for o in objects}
    assert len(ids) == len(objects)
    for obj in objects:
        names = {ref["name"] for ref in obj["references"]}
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} references missing {ref}"
        attrs = obj["attributes"]
        search_source = attrs.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        if search_source and "indexRefName" in json.loads(search_source):
            assert json.loads(search_source)["indexRefName"] in names
        for panel in json.loads(attrs.get("panelsJSON", "[]")):
            assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
    titles = {o["attributes"]["title"] for o in objects if o["type"] == "search"}
    assert any("new high-risk" in t for t in titles) and any("impersonation" in t for t in titles)
    assert any("insider channel" in t for t in titles) and any("by district" in t for t in titles)
    dashboard = next(o for o in objects if o["type"] == "dashboard")
    assert len(json.loads(dashboard["attributes"]["panelsJSON"])) == 7
    by_source = next(o for o in objects if o["id"] == "lantian-vis-by-source")
    segment = json.loads(by_source["attributes"]["visState"])["aggs"][1]["params"]
    assert (segment["field"], segment["missingBucket"], segment["missingBucketLabel"]) == ("source", True, "sweep")


def test_render_fills_placeholders_and_rejects_unsafe_values() -> None:
    ndjson = render("lantian-leads", "http://evidence.local:8081/")
    assert "{{LEADS_ALIAS}}" not in ndjson and "{{EVIDENCE_URL}}" not in ndjson
    objects = [json.loads(line) for line in ndjson.splitlines()]
    view = next(o for o in objects if o["type"] == "index-pattern")
    assert view["attributes"]["title"] == "lantian-leads"
    shot = json.loads(view["attributes"]["fieldFormatMap"])["screenshot_path"]
    assert shot["params"]["type"] == "img"
    assert shot["params"]["urlTemplate"] == "http://evidence.local:8081{{rawValue}}"
    assert json.loads(view["attributes"]["fieldFormatMap"])["risk"]["id"] == "percent"
    with pytest.raises(ValueError):
        render("Leads*", "http://x")
    with pytest.raises(ValueError):
        render("lantian-leads", 'http://x"}')


class ImportApi(BaseHTTPRequestHandler):
    """The part of Kibana's saved objects API the setup command uses, recording what it received."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body)
        parts = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                 for part in message.iter_parts()}
        lines = [json.loads(line) for line in parts["file"].decode("utf-8").splitlines() if line.strip()]
        ImportApi.received.append({"path": self.path, "xsrf": self.headers.get("kbn-xsrf"), "objects": lines})
        answer = {"success": True, "successCount": len(lines),
                  "successResults": [{"type": o["type"], "id": o["id"]} for o in lines]}
        payload = json.dumps(answer).encode()
        if self.headers.get("kbn-xsrf") is None:
            self.send_response(400)
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def import_api() -> Iterator[str]:
    ImportApi.received = []
    with local_http_server(ImportApi) as url:
        yield url


def test_setup_posts_the_objects_to_the_import_api(import_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANTIAN_ES_URL", raising=False)
    result = CliRunner().invoke(app, ["kibana", "setup", "--url", import_api, "--space", "ip-office"])
    assert result.exit_code == 0, result.output
    assert "imported 12 saved object(s)" in result.output
    [request] = ImportApi.received
    assert request["path"] == "/s/ip-office/api/saved_objects/_import?overwrite=true"
    assert request["xsrf"]
    assert [o["id"] for o in request["objects"]] == [o["id"] for o in saved_objects()]


def test_setup_reports_an_unreachable_kibana_in_one_line() -> None:
    result = CliRunner().invoke(app, ["kibana", "setup", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach Kibana" in result.output and "Traceback" not in result.output
