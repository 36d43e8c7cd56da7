"""Maps domain errors to HTTP once, so routers never translate errors themselves."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import UNAVAILABLE_DETAIL
from api.i18n import Language, localize, message_language, request_language, unknown_company_ja, validation_ja
from assistant.backoffice import InvalidSubmissionError
from assistant.desk.drafts import DraftNotFoundError, TooManyDraftsError
from assistant.desk.secrets import SecretKeyError
from assistant.desk.tickets import InvalidTransitionError, SubmissionLimitError, TicketNotFoundError
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
    (InvalidSubmissionError, 422),
    (DraftNotFoundError, 422),
    (TooManyDraftsError, 429),
    (SubmissionLimitError, 429),
    (StorageUnavailableError, 503),
    (SecretKeyError, 503),
    (IndexNotBuiltError, 503),
    (StaleIndexError, 503),
)


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


_CHAT_PATHS = ("/v1/chat", "/v1/chat/stream")


def error_language(request: Request, body: object = None) -> Language:
    """The language of an error's text: a chat's follows its message when the body is readable, the rest Accept-Language."""
    if request.method == "POST" and request.url.path in _CHAT_PATHS:
        # Only a body FastAPI already read: reading the stream again here could wait for a disconnect.
        sent = body if body is not None else request.__dict__.get("_body")
        found = message_language(sent)
        if found is not None:
            return found
    return request_language(request.headers)


def domain_detail(exc: AssistantError, lang: Language) -> str:
    """The error's own text in `lang`: its `message(lang)` when it has one, else the API's catalog."""
    if lang == "en":
        return str(exc)
    message = getattr(exc, "message", None)
    if callable(message):
        text = message(lang)
        if isinstance(text, str) and text:
            return text
    if isinstance(exc, UnknownCompanyError):
        return unknown_company_ja(exc.company, exc.valid)
    return localize(str(exc), lang)


_FIELD_PREFIX = re.compile(r"([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): ")


def error_field(exc: AssistantError) -> str | None:
    """The request field a 422 is about (its own `field`, or the English text's "field: " prefix); None when it names none."""
    own = getattr(exc, "field", None)
    if isinstance(own, str) and own:
        return own
    found = _FIELD_PREFIX.match(str(exc))
    return found.group(1) if found else None


def _request_id(request: Request) -> str:
    from assistant.logctx import request_id_var

    return str(getattr(request.state, "request_id", None) or request_id_var.get())


_STORAGE_DETAIL = "the request could not be recorded right now; please retry in a minute or contact the company's privacy desk directly"
# What a database outage stops, by endpoint (path prefix); a formal request in chat is the default above.
_STORAGE_DETAILS: tuple[tuple[str, str], ...] = (
    ("/v1/requests/", "the status of your request cannot be looked up right now; please retry in a minute"),
    ("/v1/sessions/", "the conversation cannot be deleted right now; please retry in a minute"),
    ("/v1/desk", "the desk queue cannot be reached right now; please retry in a minute"),
    ("/v1/staff", "staff keys cannot be checked right now; please retry in a minute"),
    ("/v1/search", "staff keys cannot be checked right now; please retry in a minute"),
)


def storage_detail(path: str) -> str:
    """The 503 text for a database outage, in the terms of what the endpoint does."""
    return next((text for prefix, text in _STORAGE_DETAILS if path.startswith(prefix)), _STORAGE_DETAIL)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(AssistantError)
    async def _domain(request: Request, exc: AssistantError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        lang = error_language(request)
        body: dict[str, object] = {"detail": domain_detail(exc, lang)}
        if isinstance(exc, UnknownCompanyError):
            body["valid_companies"] = exc.valid
        if status == 422 and (field := error_field(exc)) is not None:
            body["field"] = field  # in every language, so a form can place the text by its field
        if isinstance(exc, TicketNotFoundError):
            body["detail"] = localize("no such request", lang)
        if isinstance(exc, StorageUnavailableError):
            body["detail"] = localize(storage_detail(request.url.path), lang)
            # The cause's first line only: its full text may carry SQL parameters (personal data).
            cause = exc.__cause__
            log.warning(
                "%s (%s: %s)",
                exc,
                type(cause).__name__,
                (str(getattr(cause, "orig", cause)).splitlines() or [""])[0][:200] if cause else "",
            )
        if isinstance(exc, SecretKeyError):  # the key file is the operator's to fix; its path is not the customer's business
            log.error("%s", exc)
            body["detail"] = localize(storage_detail(request.url.path), lang)
        if isinstance(exc, IndexNotBuiltError | StaleIndexError):  # their text names files and FAISS's errors
            log.error("index unavailable: %s", exc)
            body["detail"] = localize(UNAVAILABLE_DETAIL, lang)
        body["request_id"] = _request_id(request)
        headers = {"Retry-After": "30"} if status == 503 else None
        if status == 429:  # a flood cap: its error knows when a slot frees up
            headers = {"Retry-After": str(getattr(exc, "retry_after", 600))}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = localize(exc.detail, error_language(request)) if isinstance(exc.detail, str) else exc.detail
        body = {"detail": detail, "request_id": _request_id(request)}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # A store that did not wrap its database error: still "retry later", never a 500.
        log.warning("database unavailable: %s", type(exc).__name__)
        detail = localize(storage_detail(request.url.path), error_language(request))
        return JSONResponse({"detail": detail, "request_id": _request_id(request)}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses (a NUL, a number out of range): bad input, never a 500 with SQL parameters.
        log.warning("value refused by the database: %s", type(exc.orig).__name__)
        detail = localize("a value in the request cannot be stored or looked up", error_language(request))
        return JSONResponse({"detail": detail, "request_id": _request_id(request)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = error_language(request, exc.body)
        detail = _readable(exc) if lang == "en" else validation_ja(exc.errors())
        body: dict[str, object] = {"detail": detail}
        places = {".".join(str(p) for p in err.get("loc", ()) if p != "body") for err in exc.errors()}
        if len(places) == 1 and "" not in places:  # one field at fault: named apart from the text, as a domain 422 does
            body["field"] = places.pop()
        body["request_id"] = _request_id(request)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        rid = _request_id(request)
        # Sent from outside the middleware stack, so it sets the request id header itself.
        headers = {"X-Request-ID": rid, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
        # Outside the route, the body cannot be read again: Accept-Language only.
        detail = localize("internal error; it has been logged", request_language(request.headers))
        return JSONResponse({"detail": detail, "request_id": rid}, status_code=500, headers=headers)
