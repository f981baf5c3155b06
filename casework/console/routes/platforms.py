"""Platform health as the last sweep left it: which platforms found nothing or no longer read their pages."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from casework.console.security import current_user
from casework.console.web import render
from casework.users import User
from crawler.health import load_health

router = APIRouter()


@router.get("/platforms", response_class=HTMLResponse)
def platform_health(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    states = sorted(load_health().values(), key=lambda h: (h.healthy, h.platform))
    return render(request, "platforms.html", states=states)
