"""Complaints from the public in the console: the intake form (admins and reviewers), the open complaints with
their age against the answer deadline, one complaint with its links, screenshots and leads, and its answer."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.datastructures import UploadFile

from casework.complaints import (
    COMPLAINT_STATUS_NAMES_ZH,
    Complaint,
    ComplaintError,
    ComplaintRegister,
    add_screenshot,
    answer,
    capture_links,
    load_complaints_config,
    record_captures,
    status_of,
)
from casework.config import load_takedown_config
from casework.console.security import check_csrf, current_user
from casework.console.web import back, flash, lead_store, render
from casework.users import User
from core.config import ConfigError
from core.settings import data_dir
from detector.registry import registry_warning
from index.store import LeadStore

router = APIRouter()
MAX_FORM_URLS = 20
_TOOLS_LOCK = threading.Lock()


def _register() -> ComplaintRegister:
    return ComplaintRegister()


def _complaint_or_404(register: ComplaintRegister, number: int) -> Complaint:
    complaint = register.get(number)
    if complaint is None:
        raise HTTPException(status_code=404, detail=f"没有第{number}号举报投诉")
    return complaint


def _screenshot_tools(request: Request) -> tuple[Any, Any]:
    """The detector and the OCR reader, loaded on the first screenshot and kept for the app's lifetime."""
    state = request.app.state
    with _TOOLS_LOCK:
        if getattr(state, "complaint_tools", None) is None:
            from detector import Detector
            from detector.ocr import ImageTextReader

            state.complaint_tools = (Detector.load(), ImageTextReader())
    return state.complaint_tools


def _capture_in_background(store: LeadStore, number: int, urls: list[str], by: str, endpoints: Path | None) -> None:
    """Capture the complaint's links (a crawl of its own, a minute or so) while the console goes on; a failure is
    recorded on the complaint so the page says so instead of waiting for ever."""
    def run() -> None:
        with _register() as register:
            try:
                record_captures(register, store, number, capture_links(urls, number, by=by, endpoints=endpoints), by=by)
            except (ComplaintError, OSError) as exc:
                message = exc.zh if isinstance(exc, ComplaintError) else str(exc)
                register.update(number, lambda c: c.captures.extend(
                    {"url": url, "outcome": "failed", "message": message, "lead_id": None, "at": ""}
                    for url in urls if url not in {e["url"] for e in c.captures}),
                    {"by": by, "action": "capture", "to": "failed", "why": message})

    threading.Thread(target=run, name=f"complaint-{number}-capture", daemon=True).start()


@router.get("/complaints", response_class=HTMLResponse)
def open_complaints(request: Request, user: User = Depends(current_user),
                    store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    config = load_complaints_config()
    with _register() as register:
        complaints = register.all(answered=False)
    rows = [{"complaint": c, "status": status_of(c, store, config), "age": c.age_days(), "overdue": c.overdue()}
            for c in complaints]
    return render(request, "complaints.html", rows=rows, answer_days=config.answer_days,
                  STATUS_ZH=COMPLAINT_STATUS_NAMES_ZH)


@router.get("/complaints/new", response_class=HTMLResponse)
def new_complaint(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    """The intake form, warning first when the agency registry cannot be read: the screenshots and links it takes
    are detected without deciding `unlicensed_agency` (the CLI says the same, `crawler.cli.warn_without_registry`)."""
    return render(request, "complaint_form.html", registry_warning=registry_warning())


@router.post("/complaints", dependencies=[Depends(check_csrf)])
async def add_complaint(request: Request, user: User = Depends(current_user),
                        store: LeadStore = Depends(lead_store)) -> Response:
    form = await request.form()
    urls = [line.strip() for line in str(form.get("urls") or "").splitlines() if line.strip()]
    bad = [url for url in urls if not url.startswith(("http://", "https://"))]
    if bad or len(urls) > MAX_FORM_URLS:
        flash(request, f"链接须以 http:// 或 https:// 开头，最多 {MAX_FORM_URLS} 条：{'、'.join(bad)}", "error")
        return back("/complaints/new")
    shots = [item for item in form.getlist("screenshots") if isinstance(item, UploadFile) and item.filename]
    images = [(shot.filename or "screenshot", await shot.read()) for shot in shots]
    config = load_complaints_config()
    with _register() as register:
        try:
            complaint = register.add(
                report=str(form.get("report") or ""), by=user.username, channel=str(form.get("channel") or ""),
                urls=urls, config=config,
                complainant={key: str(form.get(key) or "") for key in ("name", "phone", "email", "address")})
        except ComplaintError as exc:
            flash(request, exc.zh, "error")
            return back("/complaints/new")
        if images:
            detector, reader = _screenshot_tools(request)
            for name, data in images:
                try:
                    add_screenshot(register, store, detector, reader, complaint.number, data, name=name,
                                   by=user.username, platform=str(form.get("screenshot_platform") or "screenshot"))
                except ComplaintError as exc:
                    flash(request, exc.zh, "error")
    if urls or images:
        warning = registry_warning()
        if warning:
            flash(request, f"警告：{warning}", "warning")
    if urls:
        _capture_in_background(store, complaint.number, complaint.urls, user.username, request.app.state.endpoints)
    flash(request, f"已登记举报投诉第{complaint.number}号，答复期限 {complaint.answer_deadline[:10]}")
    return back(f"/complaints/{complaint.number}")


@router.get("/complaints/{number}", response_class=HTMLResponse)
def show_complaint(request: Request, number: int, user: User = Depends(current_user),
                   store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    config = load_complaints_config()
    with _register() as register:
        complaint = _complaint_or_404(register, number)
    captured = {entry["url"] for entry in complaint.captures}
    pending = [url for url in complaint.urls if url not in captured]
    leads = [store.get(lead_id) or {"id": lead_id} for lead_id in complaint.lead_ids]
    return render(request, "complaint.html", complaint=complaint, status=status_of(complaint, store, config),
                  pending=pending, leads=leads, STATUS_ZH=COMPLAINT_STATUS_NAMES_ZH, closed=config.closed_statuses)


@router.post("/complaints/{number}/reply", dependencies=[Depends(check_csrf)])
def reply(request: Request, number: int, user: User = Depends(current_user),
          store: LeadStore = Depends(lead_store)) -> Response:
    with _register() as register:
        _complaint_or_404(register, number)
        try:
            result, _ = answer(register, store, number, load_complaints_config(), load_takedown_config(),
                               by=user.username, out_dir=data_dir() / "casework" / "replies")
            flash(request, f"已答复（{result.reference}）")
        except (ComplaintError, ConfigError) as exc:
            flash(request, getattr(exc, "zh", str(exc)), "error")
    return back(f"/complaints/{number}")


@router.get("/complaints/{number}/reply.{kind}")
def reply_file(number: int, kind: str, user: User = Depends(current_user)) -> Response:
    with _register() as register:
        complaint = _complaint_or_404(register, number)
    stored = (complaint.reply or {}).get("files", {}).get(kind)
    if not stored or not Path(stored).is_file():
        raise HTTPException(status_code=404, detail="尚无答复文件")
    media = {"txt": "text/plain; charset=utf-8",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[kind]
    return FileResponse(stored, media_type=media, filename=f"complaint-{number}-reply.{kind}")

