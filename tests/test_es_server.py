"""The local Elasticsearch server: what the official client and lantian's own tools need from it."""
from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from elasticsearch import Elasticsearch, helpers
from typer.testing import CliRunner

from index import es_cli
from index.es_server import EsServer, EsServerError, free_port

LISTINGS = [
    {"id": "a", "title": "专利代理内部渠道，快速授权", "label": "insider_channel", "platform": "shop"},
    {"id": "b", "title": "商标恶意撤三，专业团队", "label": "malicious_cancellation", "platform": "shop"},
    {"id": "c", "title": "内部人员有渠道吗？求推荐正规代理", "label": "none", "platform": "forum"},
    {"id": "d", "title": "知识产权局内部渠道包过", "label": "insider_channel", "platform": "forum"},
]


def cli() -> typer.Typer:
    app = typer.Typer()
    es_cli.register(app)
    return app


@pytest.fixture()
def es(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture()
def listings_index(es: Elasticsearch) -> Iterator[str]:
    name = f"test-listings-{uuid.uuid4().hex[:8]}"
    es.indices.create(
        index=name,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {
            "title": {"type": "text", "analyzer": "standard"},
            "label": {"type": "keyword"},
            "platform": {"type": "keyword"},
        }},
    )
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


@pytest.mark.elasticsearch
def test_official_client_passes_product_check(es: Elasticsearch, es_url: str) -> None:
    info = es.info()
    assert info["version"]["number"].startswith("8.")
    assert info["tagline"] == "You Know, for Search"
    assert info["cluster_uuid"] and info["version"]["lucene_version"]
    assert es.ping() is True
    head = httpx.head(es_url + "/")
    assert head.status_code == 200
    assert head.headers["x-elastic-product"] == "Elasticsearch"


@pytest.mark.elasticsearch
def test_index_and_search_chinese_listings(es: Elasticsearch, listings_index: str) -> None:
    actions = [{"_index": listings_index, "_id": doc["id"], **doc} for doc in LISTINGS]
    indexed, errors = helpers.bulk(es, actions, refresh=True)
    assert (indexed, errors) == (4, [])

    phrase = es.search(index=listings_index, query={"match_phrase": {"title": "内部渠道"}})
    assert sorted(hit["_id"] for hit in phrase["hits"]["hits"]) == ["a", "d"]
    loose = es.search(index=listings_index, query={"match": {"title": {"query": "内部渠道", "operator": "and"}}})
    assert sorted(hit["_id"] for hit in loose["hits"]["hits"]) == ["a", "c", "d"]

    counts = es.search(index=listings_index, size=0, aggs={"labels": {"terms": {"field": "label"}}})
    buckets = {b["key"]: b["doc_count"] for b in counts["aggregations"]["labels"]["buckets"]}
    assert buckets == {"insider_channel": 2, "malicious_cancellation": 1, "none": 1}

    es.update(index=listings_index, id="c", doc={"label": "reviewed"}, refresh=True)
    updated = es.get(index=listings_index, id="c")["_source"]
    assert updated["label"] == "reviewed"
    assert updated["title"] == LISTINGS[2]["title"]
    reviewed = es.count(index=listings_index, query={"term": {"label": "reviewed"}})
    assert reviewed["count"] == 1


@pytest.mark.elasticsearch
def test_status_command_describes_a_server_by_url(es_url: str) -> None:
    result = CliRunner().invoke(cli(), ["es", "status", "--url", es_url])
    assert result.exit_code == 0, result.output
    assert "8." in result.output
    assert "green" in result.output or "yellow" in result.output


def test_status_command_fails_clearly_for_a_dead_url() -> None:
    result = CliRunner().invoke(cli(), ["es", "status", "--url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "not reachable" in result.output
    assert "Traceback" not in result.output


def test_start_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli(), ["es", "start", "--port", str(port), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"port {port}" in result.output and "already in use" in result.output


def test_start_without_built_jar_says_how_to_build(tmp_path: Path) -> None:
    server = EsServer(home=tmp_path / "es", port=free_port(), jar=tmp_path / "missing.jar")
    with pytest.raises(EsServerError, match="make es-server"):
        server.start()


def test_invalid_heap_is_rejected() -> None:
    with pytest.raises(EsServerError, match="512m or 1g"):
        EsServer(heap="lots")


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_failed_start_reports_the_log_tail(tmp_path: Path) -> None:
    home = tmp_path / "es"
    home.mkdir()
    (home / "data").write_text("not a directory", encoding="utf-8")
    server = EsServer(home=home, port=free_port())
    with pytest.raises(EsServerError, match="exited with code") as failure:
        server.start(timeout=120)
    assert str(home / "data") in str(failure.value)
    assert not server.status().running


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_cli_lifecycle_keeps_data_across_restart(tmp_path: Path) -> None:
    runner = CliRunner()
    port = str(free_port())
    home = str(tmp_path / "es")
    try:
        started = runner.invoke(cli(), ["es", "start", "--port", port, "--data-dir", home, "--heap", "384m"])
        assert started.exit_code == 0, started.output
        url = started.output.strip().splitlines()[-1]
        assert url == f"http://127.0.0.1:{port}"

        status = runner.invoke(cli(), ["es", "status", "--data-dir", home])
        assert status.exit_code == 0, status.output
        assert url in status.output and "8.15" in status.output and "MiB" in status.output

        client = Elasticsearch(url)
        client.index(index="kept", id="1", document={"title": "代理资质出租"}, refresh=True)
        client.close()

        assert runner.invoke(cli(), ["es", "stop", "--data-dir", home]).exit_code == 0
        stopped = runner.invoke(cli(), ["es", "status", "--data-dir", home])
        assert stopped.exit_code == 1 and "not running" in stopped.output

        again = runner.invoke(cli(), ["es", "start", "--port", port, "--data-dir", home, "--heap", "384m"])
        assert again.exit_code == 0, again.output
        assert "health yellow" in again.output  # the auto-created index wants a replica a single node cannot hold
        client = Elasticsearch(url)
        assert client.get(index="kept", id="1")["_source"]["title"] == "代理资质出租"
        client.close()
    finally:
        EsServer(home=Path(home)).stop()
    assert not EsServer(home=Path(home)).status().running


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_server_stops_when_its_owner_process_ends(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "600"])
    server = EsServer(home=tmp_path / "es", port=free_port(), heap="256m", owner_pid=owner.pid)
    try:
        server.start(timeout=180)
        assert server.status().running
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 60
        while server.status().running and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not server.status().running
    finally:
        owner.kill()
        server.stop()
