"""Dependencies shared by the routers."""

from __future__ import annotations

import hmac
import logging
import threading
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, Security

from api.openapi_docs import STAFF_KEY
from assistant.factory import Stores
from assistant.service import Assistant
from assistant.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from api.http.ratelimit import SqlRateCounter
    from assistant.keys import SqlKeyStore
    from assistant.reloader import ServedAssistant

log = logging.getLogger(__name__)
_KEY_STORE_LOCK = threading.Lock()


def get_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


def readiness_engine(request: Request) -> Engine:
    """The engine /readyz probes: its own, short lock wait, never creating a database."""
    from assistant.db import engine_from_settings

    with _KEY_STORE_LOCK:
        engine: Engine | None = getattr(request.app.state, "readiness_engine", None)
        if engine is None:
            s: Settings = request.app.state.settings
            engine = engine_from_settings(s, busy_timeout_ms=min(s.busy_timeout_ms, 2000), create=False)
            request.app.state.readiness_engine = engine
        return engine
# Written here, never passed through from the library: paths and FAISS's own error text stay in the log.
STARTING_DETAIL = "the assistant is starting; please retry in a few seconds"
UNAVAILABLE_DETAIL = (
    "answers are temporarily unavailable while the policy index is being prepared; please retry in a few "
    "minutes. Status look-ups for requests already made keep working."
)
STORES_DETAIL = "this service is temporarily unavailable; please retry in a few minutes"


def get_assistant(request: Request) -> Assistant:
    """The assistant over the build in service, or 503 while there is none."""
    served: ServedAssistant | None = request.app.state.served
    assistant = served.assistant if served is not None else None
    if assistant is None:
        starting = served is not None and served.state == "loading"
        raise HTTPException(
            status_code=503, detail=STARTING_DETAIL if starting else UNAVAILABLE_DETAIL,
            headers={"Retry-After": "5" if starting else "60"},
        )
    return assistant


def get_stores(request: Request) -> Stores:
    """The desk queue, sessions and companies: needed by the desk and status paths, which work without an index."""
    stores: Stores | None = request.app.state.stores
    if stores is None:
        raise HTTPException(status_code=503, detail=STORES_DETAIL, headers={"Retry-After": "30"})
    return stores


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
StoresDep = Annotated[Stores, Depends(get_stores)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class OriginScope:
    """The companies a browser origin may use: a configured widget origin only its own companies
    (PA_WIDGET_ORIGINS), any other caller (no Origin, the server's own pages) every company."""

    def __init__(self, origin: str | None, companies: frozenset[str] | None) -> None:
        self.origin = origin
        self.companies = companies  # None: not a widget origin, so not restricted here

    def allows(self, company: str) -> bool:
        """Whether a request from this origin may touch `company`."""
        return self.companies is None or company in self.companies

    def company_for(self, requested: str | None) -> str | None:
        """The company a chat from this origin is about: the one asked for if the origin may use it,
        the origin's only company if none is named; 403 otherwise."""
        if self.companies is None or (requested is not None and requested in self.companies):
            return requested
        if requested is None and len(self.companies) == 1:
            return next(iter(self.companies))
        mine = ", ".join(sorted(self.companies))
        if requested is None:
            detail = f"this site ({self.origin}) serves several companies ({mine}): name one as `company`"
        else:
            detail = f"this site ({self.origin}) is not set up for company {requested!r} in PA_WIDGET_ORIGINS; it serves: {mine}"
        raise HTTPException(status_code=403, detail=detail)


def get_origin(request: Request, settings: SettingsDep) -> OriginScope:
    """Which companies the request's Origin (a company's site embedding the widget) may touch."""
    origin = request.headers.get("origin")
    if not origin:
        return OriginScope(None, None)
    origin = origin.rstrip("/")
    companies = settings.widget_sites.companies_for(origin)
    return OriginScope(origin, companies or None)


OriginDep = Annotated[OriginScope, Depends(get_origin)]


class StaffScope:
    """The companies a staff key may see (None: all) and who is acting."""

    def __init__(self, companies: tuple[str, ...] | None, actor: str) -> None:
        self.companies = companies
        self.actor = actor

    def allows(self, company: str) -> bool:
        """Whether this key may see `company`."""
        return self.companies is None or company in self.companies


def get_key_store(request: Request) -> SqlKeyStore:
    """The database key store (`privacy-assistant keys ...`), created on first use."""
    from assistant.db import engine_from_settings
    from assistant.errors import StorageUnavailableError
    from assistant.keys import SqlKeyStore

    with _KEY_STORE_LOCK:
        store: SqlKeyStore | None = getattr(request.app.state, "key_store", None)
        if store is None:
            s: Settings = request.app.state.settings
            try:
                store = SqlKeyStore(engine_from_settings(s))
            except OSError as exc:  # e.g. the SQLite folder cannot be created
                raise StorageUnavailableError(f"key store unavailable: {type(exc).__name__}") from exc
            request.app.state.key_store = store
        return store


def get_auth_failures(request: Request) -> SqlRateCounter | None:
    """The counter of failed staff sign-ins per client (in the database, so shared by every worker;
    in this worker's memory while the database cannot count); None while no engine can be made."""
    from api.http.ratelimit import SqlRateCounter
    from assistant.db import engine_from_settings

    with _KEY_STORE_LOCK:
        counter: SqlRateCounter | None = getattr(request.app.state, "auth_failures", None)
        if counter is None:
            s: Settings = request.app.state.settings
            try:
                engine = engine_from_settings(s, busy_timeout_ms=min(s.busy_timeout_ms, 2000))
            except OSError as exc:  # e.g. the SQLite folder cannot be created; retried on the next request
                log.warning("staff sign-in counter unavailable (%s); not counted", type(exc).__name__)
                return None
            counter = SqlRateCounter(engine, s.staff_auth_failures_per_minute)
            request.app.state.auth_failures = counter
        return counter


def _too_many_failures(limit: int, retry_after: int) -> HTTPException:
    detail = f"too many failed staff sign-ins: at most {limit} a minute; retry in {retry_after} seconds"
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(retry_after)})


def get_staff(request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Security(STAFF_KEY)] = None) -> StaffScope:
    """Authenticate a staff API key (header `X-API-Key`): the bootstrap keys in settings first,
    then the keys in the database; 401 without a valid one, 429 for a client past its failures."""
    if not x_api_key:
        raise HTTPException(status_code=401, detail="staff endpoints need an X-API-Key header", headers={"WWW-Authenticate": "ApiKey"})
    from api.middleware import client_address, rate_bucket

    # Counted under a name of their own, apart from the public limit (which may be off).
    client = "staff-auth:" + rate_bucket(client_address(request.scope, settings.trusted_proxy_set))
    failures = get_auth_failures(request)
    before = failures.peek(client) if failures is not None else None
    if before is not None and not before.allowed:  # even the right key is refused, so guessing learns nothing
        raise _too_many_failures(before.limit, before.retry_after)
    scope = _authenticate(request, settings, x_api_key)
    if scope is not None:
        return scope
    after = failures.hit(client) if failures is not None else None
    if after is not None and not after.allowed:
        raise _too_many_failures(after.limit, after.retry_after)
    raise HTTPException(status_code=401, detail="invalid API key", headers={"WWW-Authenticate": "ApiKey"})


def _authenticate(request: Request, settings: Settings, x_api_key: str) -> StaffScope | None:
    for entry in settings.staff_keys:
        if hmac.compare_digest(entry.key.encode(), x_api_key.encode()):
            return StaffScope(entry.companies, actor=f"staff:{entry.name}")
    from assistant.keys import KEY_SCHEME

    if x_api_key.startswith(KEY_SCHEME):
        info = get_key_store(request).verify(x_api_key)
        if info is not None:
            return StaffScope(info.companies, actor=info.actor)
    return None


StaffDep = Annotated[StaffScope, Depends(get_staff)]
