"""Evidence files are content-addressed, write-once, WARC-readable, and any later tampering is detected."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import threading

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.log import EvidenceLogError
from crawler.evidence.store import BlobStore
from crawler.evidence.warc import Exchange, sha256_base32

PAGE = "<html><head><meta charset='gbk'></head><body>国家知识产权局指定代理 内部渠道 30天下证</body></html>"


def exchange(n: int = 0, body: bytes | None = None) -> Exchange:
    return Exchange(
        final_url=f"http://market.test/item/{n}?from=list",
        status=200,
        body=body if body is not None else PAGE.encode("gbk") + str(n).encode(),
        fetched_at="2026-03-01T08:00:00.123Z",
        request_headers=[("User-Agent", "lantian-test"), ("Accept", "text/html")],
        response_headers=[("Content-Type", "text/html; charset=gbk"), ("Transfer-Encoding", "chunked")],
    )


def make_writable(path) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_blob_is_named_by_its_sha256_read_only_and_written_once(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    data = PAGE.encode("gbk")
    blob = store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert blob.sha256 == digest and blob.created
    assert blob.path == tmp_path / "blobs" / digest[:2] / digest[2:]
    assert blob.path.read_bytes() == data
    assert not blob.path.stat().st_mode & 0o222
    mtime = blob.path.stat().st_mtime_ns
    again = store.put(data)
    assert not again.created and again.path == blob.path and blob.path.stat().st_mtime_ns == mtime
    assert list(store.iter_hashes()) == [digest]
    assert [p.name for p in blob.path.parent.iterdir()] == [digest[2:]]  # no temporary file left behind


def test_fetch_is_a_raw_blob_a_warc_pair_and_a_log_line(tmp_path):
    archive = EvidenceArchive(tmp_path)
    ex = exchange()
    record = archive.record_fetch(ex, request_url="http://market.test/go/42")
    archive.close()

    digest = hashlib.sha256(ex.body).hexdigest()
    assert record["raw_sha256"] == digest
    assert open(record["raw_path"], "rb").read() == ex.body
    assert record["final_url"] == ex.final_url and record["fetched_at"] == ex.fetched_at

    with open(record["warc_path"], "rb") as handle:
        records = [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in
                   ArchiveIterator(handle, check_digests="raise")]
    assert [kind for kind, _, _ in records] == ["warcinfo", "response", "request"]
    _, response, body = records[1]
    assert body == ex.body
    assert response.get_header("WARC-Target-URI") == ex.final_url
    assert response.get_header("WARC-Date") == ex.fetched_at
    assert response.get_header("WARC-Payload-Digest") == sha256_base32(digest)
    _, request, _ = records[2]
    assert request.get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")

    lines = [json.loads(line) for line in (tmp_path / "evidence-log.jsonl").read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["raw", "warc"]
    raw, warc = lines
    assert raw["sha256"] == digest and raw["request_url"] == "http://market.test/go/42"
    assert raw["url"] == ex.final_url and raw["status"] == 200 and raw["fetched_at"] == ex.fetched_at
    assert warc["sha256"] == hashlib.sha256(open(record["warc_path"], "rb").read()).hexdigest()
    assert warc["prev"] == raw["hash"] and raw["prev"] == "0" * 64
    assert not os.stat(record["warc_path"]).st_mode & 0o222
    assert archive.verify().ok


def test_warc_files_rotate_and_threads_write_whole_records(tmp_path):
    archive = EvidenceArchive(tmp_path, warc_max_bytes=4000)
    records: list[dict] = []
    lock = threading.Lock()

    def worker(start: int) -> None:
        for n in range(start, start + 25):
            result = archive.record_fetch(exchange(n, body=(PAGE * 3).encode("utf-8") + str(n).encode()))
            with lock:
                records.append(result)

    threads = [threading.Thread(target=worker, args=(k * 25,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    archive.close()

    warc_files = sorted((tmp_path / "warc").iterdir())
    assert len(warc_files) > 1
    urls = []
    for path in warc_files:
        with open(path, "rb") as handle:
            for rec in ArchiveIterator(handle, check_digests="raise"):
                if rec.rec_type == "response":
                    urls.append(rec.rec_headers.get_header("WARC-Target-URI"))
                    rec.content_stream().read()
    assert sorted(urls) == sorted(f"http://market.test/item/{n}?from=list" for n in range(100))
    report = archive.verify()
    assert report.ok and report.lines == 100 + len(warc_files) and not report.unlogged


@pytest.fixture
def recorded(tmp_path):
    archive = EvidenceArchive(tmp_path)
    fetches = [archive.record_fetch(exchange(n)) for n in range(3)]
    png = _png()
    shot = archive.record_screenshot("http://market.test/item/1?from=list", png, source="test")
    archive.close()
    return archive, fetches, shot


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_untouched_evidence_verifies(recorded):
    archive, _, _ = recorded
    report = archive.verify()
    assert report.ok, report.problems
    assert report.lines == 5 and report.head_seq == 5 and report.files_checked == 5


def test_altered_raw_blob_is_detected(recorded):
    archive, fetches, _ = recorded
    path = fetches[1]["raw_path"]
    make_writable(path)
    with open(path, "ab") as handle:
        handle.write(b"<!-- edited -->")
    report = archive.verify()
    assert not report.ok
    assert [(p.kind, p.line) for p in report.problems] == [("altered_file", 2)]


def test_altered_screenshot_and_deleted_blob_are_detected(recorded):
    archive, fetches, shot = recorded
    make_writable(shot.path)
    shot.path.write_bytes(_png() + b"x")
    os.chmod(os.path.dirname(fetches[0]["raw_path"]), 0o755)
    os.remove(fetches[0]["raw_path"])
    kinds = sorted(p.kind for p in archive.verify().problems)
    assert kinds == ["altered_file", "missing_file"]


def test_altered_warc_record_is_detected(recorded):
    archive, fetches, _ = recorded
    path = fetches[0]["warc_path"]
    make_writable(path)
    data = bytearray(open(path, "rb").read())
    data[fetches[0]["warc_offset"] + 40] ^= 0xFF
    open(path, "wb").write(bytes(data))
    kinds = {p.kind for p in archive.verify().problems}
    assert "altered_file" in kinds and "warc_record_mismatch" in kinds


def test_edited_log_line_is_detected_at_that_line(recorded):
    archive, _, _ = recorded
    lines = archive.log.path.read_text().splitlines()
    record = json.loads(lines[1])
    record["fetched_at"] = "2025-01-01T00:00:00.000Z"
    lines[1] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    archive.log.path.write_text("\n".join(lines) + "\n")
    report = archive.verify()
    assert report.first_problem.line == 2 and report.first_problem.kind == "altered_line"


def test_rehashed_edit_still_breaks_the_chain_after_it(recorded):
    from crawler.evidence.log import line_hash

    archive, _, _ = recorded
    lines = archive.log.path.read_text().splitlines()
    record = json.loads(lines[0])
    record["url"] = "http://elsewhere.test/"
    record["hash"] = line_hash(record)
    lines[0] = json.dumps(record)
    archive.log.path.write_text("\n".join(lines) + "\n")
    report = archive.verify()
    assert [(p.kind, p.line) for p in report.problems][:1] == [("broken_chain", 2)]


def test_deleted_log_line_breaks_the_chain(recorded):
    archive, _, _ = recorded
    lines = archive.log.path.read_text().splitlines()
    deleted = json.loads(lines.pop(2))
    archive.log.path.write_text("\n".join(lines) + "\n")
    report = archive.verify()
    assert report.first_problem.kind == "broken_chain" and report.first_problem.line == 3
    assert report.unlogged == [deleted["path"]]


def test_garbage_line_is_reported_and_appending_after_a_torn_line_is_refused(recorded):
    archive, _, _ = recorded
    with open(archive.log.path, "a") as handle:
        handle.write('{"seq": 6, "kind": "raw"')
    report = archive.verify()
    assert report.first_problem.kind == "unreadable_line" and report.first_problem.line == 6
    with pytest.raises(EvidenceLogError, match="incomplete"):
        archive.record_screenshot("http://market.test/x", _png(), source="test")


def test_show_finds_records_by_url_and_by_hash_prefix(recorded):
    archive, fetches, shot = recorded
    by_url = archive.find("http://market.test/item/1?from=list")
    assert [r["kind"] for r in by_url] == ["raw", "screenshot"]
    assert [r["seq"] for r in archive.find(shot.sha256[:10])] == [4]


def _write_and_die(root: str) -> None:
    archive = EvidenceArchive(root)
    archive.record_fetch(exchange(7))
    os._exit(0)  # a crash: the WARC file is never sealed


def test_warc_left_open_by_a_crashed_process_is_sealed_by_the_next_writer(tmp_path):
    process = multiprocessing.get_context("fork").Process(target=_write_and_die, args=(str(tmp_path),))
    process.start()
    process.join(timeout=60)
    archive = EvidenceArchive(tmp_path)
    assert archive.verify().unlogged  # the open WARC is named by no log line yet
    sealed = archive.seal_orphans()
    assert len(sealed) == 1 and not sealed[0].stat().st_mode & 0o222
    report = archive.verify()
    assert report.ok and not report.unlogged


def test_warc_sealed_but_not_logged_before_a_crash_is_logged_by_the_next_writer(tmp_path):
    archive = EvidenceArchive(tmp_path)
    archive.record_fetch(exchange(1))
    (path,) = (tmp_path / "warc").glob("*.warc.gz")
    archive.warcs.on_seal = None  # the crash: the file is made read-only, its log line never written
    archive.close()
    assert not path.stat().st_mode & 0o222
    assert EvidenceArchive(tmp_path).verify().unlogged == [f"warc/{path.name}"]
    assert EvidenceArchive(tmp_path).seal_orphans() == [path]
    report = EvidenceArchive(tmp_path).verify()
    assert report.ok and not report.unlogged
    assert EvidenceArchive(tmp_path).seal_orphans() == []


def test_open_warc_of_a_live_writer_is_not_sealed_by_another(tmp_path):
    writer = EvidenceArchive(tmp_path)
    writer.record_fetch(exchange(1))
    assert EvidenceArchive(tmp_path).seal_orphans() == []
    writer.close()
    assert EvidenceArchive(tmp_path).verify().ok


def _append_screenshots(root: str, worker: int) -> None:
    archive = EvidenceArchive(root)
    for n in range(20):
        archive.record_screenshot(f"http://market.test/{worker}/{n}", _png() + bytes([worker, n]), source="test")


def test_processes_appending_to_one_log_keep_one_unbroken_chain(tmp_path):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_append_screenshots, args=(str(tmp_path), k)) for k in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    report = EvidenceArchive(tmp_path).verify()
    assert report.ok and report.lines == 80 and report.head_seq == 80
