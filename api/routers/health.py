"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import readiness_engine
from assistant.db import database_status

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "A component is not ready"}})
def readyz(request: Request) -> JSONResponse:
    """Ready only when every component is: the database takes writes and the index is loaded."""
    components: dict[str, str] = {"database": database_status(readiness_engine(request))}
    body: dict[str, object] = {}
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        error = getattr(request.app.state, "load_error", None)
        components["index"] = "loading" if error is None else "error"
        body["detail"] = error or "index loading"
    else:
        components["index"] = "ok"
        m = assistant.index.manifest
        body.update(build=m.build_id, chunks=m.chunk_count, companies=len(m.companies))
    ready = all(state == "ok" for state in components.values())
    status = {"status": "ok" if ready else "unavailable", "components": components}
    return JSONResponse({**status, **body}, status_code=200 if ready else 503)
