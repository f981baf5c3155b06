"""Case exports for admins (CSV, XLSX)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from casework.console.security import require_admin
from casework.console.web import lead_store
from casework.export import CASE_STATUSES, write_cases_csv, write_cases_xlsx
from casework.users import User
from index import LeadQuery

router = APIRouter()


@router.get("/admin/export.{fmt}")
def export_cases(fmt: str, user: User = Depends(require_admin), store: Any = Depends(lead_store)) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(status_code=404, detail="只能导出 .csv 或 .xlsx")
    leads = store.iter_leads(LeadQuery(statuses=list(CASE_STATUSES), sort="last_seen"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"cases.{fmt}"
        (write_cases_csv if fmt == "csv" else write_cases_xlsx)(leads, path)
        data = path.read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="lantian-cases.{fmt}"'})
