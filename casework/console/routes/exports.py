"""Admin exports (CSV, XLSX): the cases, and the 快速预审 watch list of agencies."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from casework.agencies import load_registry
from casework.config import load_takedown_config
from casework.console.security import require_admin
from casework.console.web import lead_store
from casework.export import CASE_STATUSES, write_cases_csv, write_cases_xlsx
from casework.users import User
from casework.watchlist import watched_agencies, write_watchlist_csv, write_watchlist_xlsx
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(fmt: str, name: str, write: Callable[[Path], object]) -> Response:
    """The file `write` makes, as an attachment named `name`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        write(path)
        data = path.read_bytes()
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/admin/export.{fmt}")
def export_cases(fmt: str, user: User = Depends(require_admin), store: LeadStore = Depends(lead_store)) -> Response:
    if fmt not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail="只能导出 .csv 或 .xlsx")
    config = load_takedown_config()
    leads = store.iter_leads(LeadQuery(statuses=list(CASE_STATUSES), sort="last_seen"))
    return _download(fmt, f"lantian-cases.{fmt}",
                     lambda path: (write_cases_csv if fmt == "csv" else write_cases_xlsx)(leads, path, config))


@router.get("/admin/watchlist.{fmt}")
def watchlist(fmt: str, months: int = 12, user: User = Depends(require_admin),
              store: LeadStore = Depends(lead_store)) -> Response:
    if fmt not in MEDIA_TYPES or not 1 <= months <= 120:
        raise HTTPException(status_code=404, detail="只能导出 .csv 或 .xlsx，期间为 1–120 个月")
    registry, problem = load_registry()
    agencies = watched_agencies(store.iter_leads(LeadQuery()), registry, months=months, registry_problem=problem)
    return _download(fmt, f"lantian-watchlist-{date.today().isoformat()}-{months}m.{fmt}",
                     lambda path: (write_watchlist_csv if fmt == "csv" else write_watchlist_xlsx)(agencies, path))
