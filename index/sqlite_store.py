"""The embedded lead store: one SQLite file under the data dir, FTS5 for free text.

Each lead is a JSON document plus the columns filters and counts need; the FTS5 table holds title, seller and
text with every CJK character as its own token, so phrase queries behave like the Elasticsearch backend's.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson

from core.agency import Agency
from core.lead import DEFAULT_SOURCE, Lead, LeadDocument
from core.sqlite import open_database, transaction
from index import text as textutil
from index.district import UNKNOWN_DISTRICT
from index.query import LeadPage, LeadQuery
from index.store import LeadNotFound, LeadStore, StoreError, stored

SCHEMA = """
CREATE TABLE IF NOT EXISTS leads (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    platform TEXT, status TEXT, district TEXT, agency_code TEXT, agency_name TEXT, seller TEXT,
    assignee TEXT, cluster_id TEXT, listing_status TEXT, labels TEXT NOT NULL DEFAULT '[]',
    risk REAL NOT NULL DEFAULT 0, first_seen TEXT, last_seen TEXT, fetched_at TEXT, minhash TEXT
);
CREATE INDEX IF NOT EXISTS leads_risk ON leads(risk);
CREATE INDEX IF NOT EXISTS leads_last_seen ON leads(last_seen);
CREATE INDEX IF NOT EXISTS leads_first_seen ON leads(first_seen);
CREATE INDEX IF NOT EXISTS leads_status ON leads(status);
CREATE INDEX IF NOT EXISTS leads_platform ON leads(platform);
CREATE INDEX IF NOT EXISTS leads_cluster ON leads(cluster_id);
CREATE VIRTUAL TABLE IF NOT EXISTS leads_fts USING fts5(title, seller, text, tokenize='unicode61');
CREATE TABLE IF NOT EXISTS agencies (
    id TEXT PRIMARY KEY, doc TEXT NOT NULL, name TEXT, code TEXT, district TEXT, risk_level TEXT, score REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
SCHEMA_VERSION = "1"

_SORT_COLUMNS = {"risk": "risk", "last_seen": "last_seen", "first_seen": "first_seen"}
# Documents written before leads had a source are sweeps.
_SOURCE = f"COALESCE(json_extract(leads.doc, '$.source'), '{DEFAULT_SOURCE}')"
_GROUP_COLUMNS = {
    "platform": "platform", "district": f"COALESCE(NULLIF(district, ''), '{UNKNOWN_DISTRICT}')", "status": "status",
    "agency": "agency_code",
    "cluster": "cluster_id", "listing_status": "listing_status", "source": _SOURCE,
}


def _phrase(term: str) -> str:
    """An FTS5 phrase for one search term (CJK characters as single tokens, quotes escaped)."""
    return '"' + textutil.spaced_chars(term).replace('"', '""') + '"'


def parse(text: str) -> LeadDocument:
    """A stored lead document read back, by orjson as the Elasticsearch client reads them: parsing costs reading
    a lead as much as validating it (`Lead`) does, and orjson parses faster than `json`. A document orjson refuses
    (a NaN `json.dumps` wrote) is read by `json`."""
    try:
        doc: LeadDocument = orjson.loads(text)
    except orjson.JSONDecodeError:
        doc = json.loads(text)
    return doc


class SqliteLeadStore(LeadStore):
    """Leads in `<data dir>/index/leads.sqlite3` (or any path); safe to share between threads."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        try:
            self._db = open_database(self.path)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the lead store: {exc}") from exc
        self._lock = threading.RLock()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._lock)

    # --- documents ---------------------------------------------------------------------------------------

    def _load(self, lead_id: str) -> LeadDocument | None:
        with self._lock:
            row = self._db.execute("SELECT doc, minhash FROM leads WHERE id = ?", (lead_id,)).fetchone()
        return self._doc(row) if row else None

    @staticmethod
    def _doc(row: tuple[str, str | None]) -> LeadDocument:
        doc = parse(row[0])
        doc["minhash"] = row[1]
        return doc

    def _load_many(self, lead_ids: list[str]) -> dict[str, LeadDocument]:
        found: dict[str, LeadDocument] = {}
        with self._lock:
            for start in range(0, len(lead_ids), 500):
                chunk = lead_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for lead_id, doc, minhash in self._db.execute(
                        f"SELECT id, doc, minhash FROM leads WHERE id IN ({marks})", chunk):
                    found[lead_id] = self._doc((doc, minhash))
        return found

    def _write(self, db: sqlite3.Connection, doc: LeadDocument) -> None:
        body = stored(doc)
        row = db.execute(
            """INSERT INTO leads (id, doc, platform, status, district, agency_code, agency_name, seller, assignee,
                   cluster_id, listing_status, labels, risk, first_seen, last_seen, fetched_at, minhash)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET doc=excluded.doc, platform=excluded.platform, status=excluded.status,
                   district=excluded.district, agency_code=excluded.agency_code, agency_name=excluded.agency_name,
                   seller=excluded.seller, assignee=excluded.assignee, cluster_id=excluded.cluster_id,
                   listing_status=excluded.listing_status, labels=excluded.labels, risk=excluded.risk,
                   first_seen=excluded.first_seen, last_seen=excluded.last_seen, fetched_at=excluded.fetched_at,
                   minhash=excluded.minhash
               RETURNING rowid""",
            (doc["id"], json.dumps(body, ensure_ascii=False), doc.get("platform"), doc.get("status"),
             doc.get("district"), doc.get("agency_code"), doc.get("agency_name"), doc.get("seller"),
             doc.get("assignee"), doc.get("cluster_id"), doc.get("listing_status"),
             json.dumps(doc.get("labels") or [], ensure_ascii=False), float(doc.get("risk") or 0.0),
             doc.get("first_seen"), doc.get("last_seen"), doc.get("fetched_at"), doc.get("minhash")),
        ).fetchone()
        db.execute("DELETE FROM leads_fts WHERE rowid = ?", (row[0],))
        db.execute("INSERT INTO leads_fts (rowid, title, seller, text) VALUES (?,?,?,?)",
                   (row[0], textutil.spaced_chars(doc.get("title")), textutil.spaced_chars(doc.get("seller")),
                    textutil.spaced_chars(doc.get("text"))))

    def _save_many(self, docs: list[LeadDocument]) -> None:
        with self._transaction() as db:
            for doc in docs:
                self._write(db, doc)

    def _write_observations(self, observations: list[LeadDocument]) -> list[LeadDocument]:
        # Read, merge and write in one transaction so a concurrent workflow change is never overwritten.
        with self._transaction():
            return super()._write_observations(observations)

    def _update(self, lead_id: str, change: Callable[[LeadDocument], LeadDocument],
                visible_now: bool = True) -> LeadDocument:
        with self._transaction() as db:
            doc = self._load(lead_id)
            if doc is None:
                raise LeadNotFound(f"no lead {lead_id}")
            updated = change(doc)
            self._write(db, updated)
        return updated

    def _signatures(self) -> Iterable[tuple[str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, minhash, cluster_id FROM leads WHERE minhash IS NOT NULL").fetchall()
        return rows

    # --- queries -----------------------------------------------------------------------------------------

    def _where(self, query: LeadQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: list[str]) -> None:
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)

        any_of("leads.id", query.ids)
        any_of("leads.platform", query.platforms)
        if UNKNOWN_DISTRICT in query.districts:
            named = [d for d in query.districts if d != UNKNOWN_DISTRICT]
            clauses.append(f"(leads.district IN ({','.join('?' * len(named))}) OR leads.district IS NULL "
                           "OR leads.district = '')")
            params.extend(named)
        else:
            any_of("leads.district", query.districts)
        any_of("leads.status", query.statuses)
        any_of("leads.assignee", query.assignees)
        any_of("leads.agency_code", query.agency_codes)
        any_of(_SOURCE, query.sources)
        if query.labels:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(leads.labels) WHERE value IN "
                           f"({','.join('?' * len(query.labels))}))")
            params.extend(query.labels)
        if query.id_prefix:
            clauses.append("substr(leads.id, 1, ?) = ?")
            params += [len(query.id_prefix), query.id_prefix]
        if query.cluster_id:
            clauses.append("leads.cluster_id = ?")
            params.append(query.cluster_id)
        if query.listing_status:
            clauses.append("leads.listing_status = ?")
            params.append(query.listing_status)
        if query.read_without_rendering is not None:
            unrendered = "json_extract(leads.doc, '$.read_without_rendering') IS NOT NULL"
            clauses.append(unrendered if query.read_without_rendering else f"NOT ({unrendered})")
        if query.min_risk is not None:
            clauses.append("leads.risk >= ?")
            params.append(query.min_risk)
        if query.max_risk is not None:
            clauses.append("leads.risk <= ?")
            params.append(query.max_risk)
        if query.since:
            clauses.append(f"leads.{query.date_field} >= ?")
            params.append(query.since)
        if query.until:
            clauses.append(f"leads.{query.date_field} <= ?")
            params.append(query.until)
        if query.terms():
            clauses.append("leads.rowid IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ?)")
            params.append(" AND ".join(_phrase(term) for term in query.terms()))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _order(self, query: LeadQuery) -> str:
        direction = "DESC" if query.descending else "ASC"
        if query.sort == "relevance" and query.terms():
            return ("ORDER BY (SELECT bm25(leads_fts) FROM leads_fts WHERE leads_fts MATCH ? "
                    f"AND leads_fts.rowid = leads.rowid) {'ASC' if query.descending else 'DESC'}, id")
        column = _SORT_COLUMNS.get(query.sort, "last_seen")
        return f"ORDER BY {column} {direction}, id"

    def _select(self, query: LeadQuery, page: bool) -> Iterator[Lead]:
        where, params = self._where(query)
        order = self._order(query)
        if "MATCH ?" in order:
            params.append(" AND ".join(_phrase(term) for term in query.terms()))
        sql = f"SELECT doc FROM leads{where} {order}"
        if page:
            sql += " LIMIT ? OFFSET ?"
            params += [query.limit, query.offset]
        try:
            with self._lock:
                rows = self._db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot run the query: {exc}") from exc
        return (Lead.from_document(parse(row[0])) for row in rows)

    def search(self, query: LeadQuery) -> LeadPage:
        leads = list(self._select(query, page=True))
        terms = query.terms()
        highlights: dict[str, dict[str, list[str]]] = {}
        for lead in leads:
            marked = {"title": textutil.highlight(lead.title, terms), "seller": textutil.highlight(lead.seller, terms),
                      "text": textutil.highlight(lead.text, terms)}
            highlights[lead.id] = {f: frags for f, frags in marked.items() if frags}
        return LeadPage(self.count(query), leads, highlights, query.offset, query.limit)

    def iter_leads(self, query: LeadQuery | None = None) -> Iterator[Lead]:
        return self._select(query or LeadQuery(), page=False)

    def count(self, query: LeadQuery | None = None) -> int:
        where, params = self._where(query or LeadQuery())
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM leads{where}", params).fetchone()[0])

    def counts(self, by: str = "label", query: LeadQuery | None = None) -> dict[str, int]:
        self._check_count_by(by)
        where, params = self._where(query or LeadQuery())
        if by == "label":
            sql = (f"SELECT j.value, COUNT(*) FROM leads, json_each(leads.labels) AS j{where} "
                   "GROUP BY j.value ORDER BY COUNT(*) DESC, j.value")
        elif by == "week":
            # Weeks as the bureau counts them: Monday to Sunday in Beijing (UTC+8; the store keeps UTC).
            sql = (f"SELECT date(first_seen, '+8 hours', '-6 days', 'weekday 1') AS week, COUNT(*) FROM leads{where} "
                   "GROUP BY week ORDER BY week")
        else:
            column = _GROUP_COLUMNS[by]
            sql = (f"SELECT {column}, COUNT(*) FROM leads{where} AND {column} IS NOT NULL " if where else
                   f"SELECT {column}, COUNT(*) FROM leads WHERE {column} IS NOT NULL ")
            sql += f"GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
        with self._lock:
            return {str(key): int(n) for key, n in self._db.execute(sql, params) if key is not None}

    # --- agencies ----------------------------------------------------------------------------------------

    def upsert_agency(self, agency: Agency) -> Agency:
        if not agency.id:
            raise ValueError("an agency document needs an id")
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO agencies VALUES (?,?,?,?,?,?,?)",
                       (agency.id, json.dumps(agency.document(), ensure_ascii=False, default=str), agency.name,
                        agency.code, agency.district, agency.risk_level, agency.score))
        return agency

    def get_agency(self, agency_id: str) -> Agency | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM agencies WHERE id = ?", (agency_id,)).fetchone()
        return Agency.from_document(json.loads(row[0])) if row else None

    def search_agencies(self, text: str | None = None, *, district: str | None = None,
                        risk_levels: list[str] | None = None, min_score: float | None = None,
                        limit: int = 100) -> list[Agency]:
        clauses: list[str] = []
        params: list[Any] = []
        for term in (text or "").split():
            clauses.append("(instr(lower(name), lower(?)) > 0 OR instr(lower(code), lower(?)) > 0 "
                           "OR instr(lower(id), lower(?)) > 0)")
            params += [term, term, term]
        if district:
            clauses.append("district = ?")
            params.append(district)
        if risk_levels:
            clauses.append(f"risk_level IN ({','.join('?' * len(risk_levels))})")
            params += list(risk_levels)
        if min_score is not None:
            clauses.append("score >= ?")
            params.append(min_score)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT doc FROM agencies{where} ORDER BY score IS NULL, score DESC, id LIMIT ?",
                [*params, limit]).fetchall()
        return [Agency.from_document(json.loads(row[0])) for row in rows]

    def flush(self) -> None:
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        with self._lock:
            self._db.close()
