"""Liveness and readiness.

`/readyz` reports each component as a short word (see README "Health checks"); it is 200 only
when every component is ready. Each component is one function in `COMPONENTS`, returning its
word and whether that word means ready.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import readiness_engine
from assistant.storage.db import database_status

router = APIRouter(tags=["health"])


def _database(request: Request) -> tuple[str, bool]:
    """ok, read_only (it answers but takes no writes) or unreachable: a row written and rolled back."""
    engine = readiness_engine(request)
    state = database_status(engine) if engine is not None else "unreachable"
    return state, state == "ok"


def _index(request: Request) -> tuple[str, bool]:
    """ok, loading, missing, damaged or error (the model did not load)."""
    served = request.app.state.served
    state = served.state if served is not None else "error"
    return state, state == "ok"


def _workers(request: Request) -> tuple[str, bool]:
    """Ready workers out of all of them, e.g. 2/2 (each worker counts the others' markers)."""
    settings = request.app.state.settings
    if settings.run_dir is None:  # one process, not started by `serve` (tests, embedding)
        ready, total = int(bool(request.app.state.started)), 1
    else:
        from api.server import ready_workers

        total = settings.workers or 1
        ready = min(ready_workers(Path(settings.run_dir)), total)
    return f"{ready}/{total}", ready == total


COMPONENTS: dict[str, Callable[[Request], tuple[str, bool]]] = {
    "database": _database,
    "index": _index,
    "workers": _workers,
}
# States that waiting will not fix: the status says "unavailable" (not "starting"), so a start-up script can give up.
_BROKEN = {"unreachable", "read_only", "missing", "damaged", "error"}


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={503: {"description": "A component is not ready: `starting`, or broken (`unavailable`)"}},
)
def readyz(request: Request) -> JSONResponse:
    """Each component's state; 200 only when all are ready."""
    checks = {name: check(request) for name, check in COMPONENTS.items()}
    components = {name: word for name, (word, _) in checks.items()}
    ready = all(ok for _, ok in checks.values())
    status = "ok" if ready else "unavailable" if _BROKEN & set(components.values()) else "starting"
    body: dict[str, object] = {"status": status, "components": components}
    served = request.app.state.served
    if served is not None and served.assistant is not None:
        m = served.assistant.manifest
        body.update(index_build=m.build_id, chunks=m.chunk_count, companies=len(m.companies))
    if served is not None and served.refused:
        body["refused_build"] = served.refused  # a newer build that did not load; the log says why
    return JSONResponse(body, status_code=200 if ready else 503)
