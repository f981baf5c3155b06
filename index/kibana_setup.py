"""Kibana's saved objects for the leads (data view, saved searches, visualizations, dashboard) and their import.

The objects ship as NDJSON in `index/kibana/`; two placeholders are filled in at import: `{{LEADS_ALIAS}}` (the
data view's index pattern, the store's leads alias) and `{{EVIDENCE_URL}}` (the web server that serves the data
dir's evidence files at their absolute paths, so screenshots show as images and raw HTML as links).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from core.environment import environment

ASSETS = Path(__file__).resolve().parent / "kibana" / "saved-objects.ndjson"
_ALIAS = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_URL = re.compile(r"^https?://[^\s\"'\\]+$")


class KibanaError(RuntimeError):
    """Kibana is unreachable or refused the import; the message says what to fix."""


def saved_objects(path: Path = ASSETS) -> list[dict[str, Any]]:
    """The shipped saved objects, placeholders still in place."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def render(leads_alias: str, evidence_url: str, path: Path = ASSETS) -> str:
    """The NDJSON to import, placeholders filled in (both checked so they cannot break the JSON)."""
    if not _ALIAS.match(leads_alias):
        raise ValueError(f"{leads_alias!r} is not an Elasticsearch index or alias name")
    if not _URL.match(evidence_url):
        raise ValueError(f"{evidence_url!r} is not an http(s) URL")
    text = path.read_text(encoding="utf-8")
    return text.replace("{{LEADS_ALIAS}}", leads_alias).replace("{{EVIDENCE_URL}}", evidence_url.rstrip("/"))


def _auth_headers() -> dict[str, str]:
    key = environment().kibana_api_key
    return {"Authorization": f"ApiKey {key.get_secret_value()}"} if key else {}


def _basic_auth() -> tuple[str, str] | None:
    variables = environment()
    user = variables.kibana_username or variables.es_username
    if not user:
        return None
    return user, (variables.kibana_password or variables.es_password).get_secret_value()


def import_objects(kibana_url: str, ndjson: str, space: str | None = None, timeout: float = 60.0,
                   verify: bool | str = True) -> dict[str, Any]:
    """POST the objects to Kibana's saved objects import API (overwriting earlier versions); returns its answer.

    Credentials come from LANTIAN_KIBANA_API_KEY, or LANTIAN_KIBANA_USERNAME/_PASSWORD (falling back to the
    Elasticsearch user); `verify` may be a CA bundle path for TLS with a private CA.
    """
    base = kibana_url.rstrip("/") + (f"/s/{space}" if space else "")
    try:
        response = httpx.post(
            f"{base}/api/saved_objects/_import", params={"overwrite": "true"},
            files={"file": ("lantian.ndjson", ndjson.encode("utf-8"), "application/ndjson")},
            headers={"kbn-xsrf": "lantian", **_auth_headers()}, auth=_basic_auth(), timeout=timeout,
            verify=verify)
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach Kibana at {kibana_url}: {exc}") from exc
    if response.status_code in (401, 403):
        raise KibanaError(f"Kibana at {kibana_url} refused the credentials (HTTP {response.status_code}): set "
                          "LANTIAN_KIBANA_USERNAME/LANTIAN_KIBANA_PASSWORD or LANTIAN_KIBANA_API_KEY")
    if response.status_code != 200:
        raise KibanaError(f"Kibana at {kibana_url} answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        result = response.json()
    except ValueError as exc:
        raise KibanaError(f"{kibana_url} did not answer like Kibana: {response.text[:200]}") from exc
    if not result.get("success"):
        errors = result.get("errors") or []
        first = errors[0] if errors else {}
        raise KibanaError(f"Kibana imported {result.get('successCount', 0)} object(s) and refused "
                          f"{len(errors)}; first: {first.get('type')} {first.get('id')}: {first.get('error')}")
    return result
