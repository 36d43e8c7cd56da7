"""Maps domain errors to HTTP once, so routers never translate errors themselves."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.desk import InvalidTransitionError, TicketNotFoundError
from assistant.errors import (
    AssistantError,
    IndexNotBuiltError,
    InvalidMessageError,
    StaleIndexError,
    StorageUnavailableError,
    UnknownCompanyError,
)

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (UnknownCompanyError, 404),
    (TicketNotFoundError, 404),
    (InvalidMessageError, 422),
    (InvalidTransitionError, 409),
    (StorageUnavailableError, 503),
    (IndexNotBuiltError, 503),
    (StaleIndexError, 503),
)


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(AssistantError)
    async def _domain(_: Request, exc: AssistantError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, UnknownCompanyError):
            body["valid_companies"] = exc.valid
        if isinstance(exc, TicketNotFoundError):
            body["detail"] = "no such request"
        if isinstance(exc, StorageUnavailableError):
            body["detail"] = (
                "the request could not be recorded right now; please retry in a minute or contact the "
                "company's privacy desk directly"
            )
        headers = {"Retry-After": "30"} if status == 503 else None
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _readable(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
