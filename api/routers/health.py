"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Index not loaded yet"}})
def readyz(request: Request) -> JSONResponse:
    """Ready only once the index is loaded."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        error = getattr(request.app.state, "load_error", None)
        return JSONResponse({"status": "loading" if error is None else "error", "detail": error or "index loading"}, status_code=503)
    m = assistant.index.manifest
    return JSONResponse({"status": "ready", "index": m.build_id, "chunks": m.chunk_count, "companies": len(m.companies)})
