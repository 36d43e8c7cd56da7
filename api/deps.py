"""Dependencies shared by the routers."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, Security

from api.openapi_docs import STAFF_KEY
from assistant.backoffice import Backoffice
from assistant.service import Assistant
from assistant.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from api.http.ratelimit import SqlRateCounter
    from assistant.factory import Resources
    from assistant.index.reloader import ServedAssistant
    from assistant.storage.keys import SqlKeyStore

log = logging.getLogger(__name__)


def get_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


def readiness_engine(request: Request) -> Engine | None:
    """The engine /readyz probes (the factory's: short lock wait, never creating a database); None without resources."""
    resources: Resources | None = request.app.state.resources
    return resources.quick_engine if resources is not None else None


# Written here, never passed through from the library: paths and FAISS's own error text stay in the log.
STARTING_DETAIL = "the assistant is starting; please retry in a few seconds"
UNAVAILABLE_DETAIL = (
    "answers are temporarily unavailable while the policy index is being prepared; please retry in a few "
    "minutes. Status look-ups for requests already made keep working."
)
STORES_DETAIL = "this service is temporarily unavailable; please retry in a few minutes"


def served_assistant(request: Request) -> Assistant | None:
    """The assistant over the build in service, None while there is none."""
    served: ServedAssistant | None = request.app.state.served
    return served.assistant if served is not None else None


def get_assistant(request: Request) -> Assistant:
    """The assistant over the build in service, or 503 while there is none."""
    assistant = served_assistant(request)
    if assistant is None:
        served: ServedAssistant | None = request.app.state.served
        starting = served is not None and served.state == "loading"
        raise HTTPException(
            status_code=503,
            detail=STARTING_DETAIL if starting else UNAVAILABLE_DETAIL,
            headers={"Retry-After": "5" if starting else "60"},
        )
    return assistant


def get_backoffice(request: Request) -> Backoffice:
    """Companies, sessions and the desk queue: the desk and status paths, which work without an index."""
    backoffice: Backoffice | None = request.app.state.backoffice
    if backoffice is None:
        raise HTTPException(status_code=503, detail=STORES_DETAIL, headers={"Retry-After": "30"})
    return backoffice


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
BackofficeDep = Annotated[Backoffice, Depends(get_backoffice)]
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


def get_client(request: Request, settings: SettingsDep) -> str:
    """Who is calling, as the rate limits count clients: the address (behind PA_TRUSTED_PROXIES, the
    forwarded one), an IPv6 address by its /64."""
    from api.middleware import client_address, rate_bucket

    return rate_bucket(client_address(request.scope, settings.trusted_proxy_set))


ClientDep = Annotated[str, Depends(get_client)]


class StaffScope:
    """The companies a staff key may see (None: all) and who is acting."""

    def __init__(self, companies: tuple[str, ...] | None, actor: str) -> None:
        self.companies = companies
        self.actor = actor

    def allows(self, company: str) -> bool:
        """Whether this key may see `company`."""
        return self.companies is None or company in self.companies


def get_key_store(request: Request) -> SqlKeyStore:
    """The database key store (`privacy-assistant keys ...`)."""
    from assistant.errors import StorageUnavailableError

    resources: Resources | None = request.app.state.resources
    if resources is None:
        raise StorageUnavailableError("key store unavailable: no resources")
    return resources.keys


def get_auth_failures(request: Request) -> SqlRateCounter | None:
    """The counter of failed staff sign-ins per client (in the database, so shared by every worker;
    in this worker's memory while the database cannot count); None without resources."""
    counter: SqlRateCounter | None = request.app.state.rate_counters.staff_failures
    return counter


def _too_many_failures(limit: int, retry_after: int) -> HTTPException:
    detail = f"too many failed staff sign-ins: at most {limit} a minute; retry in {retry_after} seconds"
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(retry_after)})


def get_staff(request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Security(STAFF_KEY)] = None) -> StaffScope:
    """Authenticate a staff API key (header `X-API-Key`): the bootstrap keys in settings first,
    then the keys in the database; 401 without a valid one, 429 for a client past its failures."""
    if not x_api_key:
        raise HTTPException(status_code=401, detail="staff endpoints need an X-API-Key header", headers={"WWW-Authenticate": "ApiKey"})
    # Counted under a name of their own, apart from the public limit (which may be off).
    client = "staff-auth:" + get_client(request, settings)
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
    from assistant.storage.keys import KEY_SCHEME

    if x_api_key.startswith(KEY_SCHEME):
        info = get_key_store(request).verify(x_api_key)
        if info is not None:
            return StaffScope(info.companies, actor=info.actor)
    return None


StaffDep = Annotated[StaffScope, Depends(get_staff)]
