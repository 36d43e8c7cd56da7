"""HTML pages: the widget demo, the citation/policy view and the staff console (static files)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.middleware import PAGE_CSP

router = APIRouter(tags=["pages"], include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Scripts and styles come from files only, so an injected <script> or inline handler cannot run.
_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/demo")
def demo() -> FileResponse:
    """A host page embedding the widget; `?company=ID` picks the company (none: the assistant asks)."""
    return _page("demo.html")


@router.get("/policy")
def policy() -> FileResponse:
    """A company's policy with a cited span highlighted: `?company=ID&doc=DOC&start=N&end=M`."""
    return _page("policy.html")


@router.get("/console")
def console() -> FileResponse:
    """The staff console (clause search, comparison, desk queue); signs in with a staff API key."""
    return _page("console.html")
