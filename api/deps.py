"""Dependencies shared by the routers."""

from __future__ import annotations

import hmac
import threading
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, Security

from api.openapi_docs import STAFF_KEY
from assistant.service import Assistant
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.keys import SqlKeyStore

_KEY_STORE_LOCK = threading.Lock()


def get_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> Assistant:
    """The loaded assistant, or 503 while the index is still loading."""
    assistant: Assistant | None = getattr(request.app.state, "assistant", None)
    if assistant is None:
        error = getattr(request.app.state, "load_error", None)
        detail = f"not ready: {error}" if error else "not ready: the index is still loading, retry shortly"
        raise HTTPException(status_code=503, detail=detail, headers={"Retry-After": "5"})
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


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
    from assistant.db import make_engine
    from assistant.errors import StorageUnavailableError
    from assistant.keys import SqlKeyStore

    with _KEY_STORE_LOCK:
        store: SqlKeyStore | None = getattr(request.app.state, "key_store", None)
        if store is None:
            s: Settings = request.app.state.settings
            try:
                store = SqlKeyStore(make_engine(s.database_url, s.busy_timeout_ms, s.database_schema))
            except OSError as exc:  # e.g. the SQLite folder cannot be created
                raise StorageUnavailableError(f"key store unavailable: {type(exc).__name__}") from exc
            request.app.state.key_store = store
        return store


def get_staff(request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Security(STAFF_KEY)] = None) -> StaffScope:
    """Authenticate a staff API key (header `X-API-Key`): the bootstrap keys in settings first,
    then the keys in the database; 401 without a valid one."""
    if not x_api_key:
        raise HTTPException(status_code=401, detail="staff endpoints need an X-API-Key header", headers={"WWW-Authenticate": "ApiKey"})
    for key, scope in settings.staff_keys().items():
        if hmac.compare_digest(key.encode(), x_api_key.encode()):
            return StaffScope(scope, actor=f"staff:{key[:4]}…")
    from assistant.keys import KEY_SCHEME

    if x_api_key.startswith(KEY_SCHEME):
        info = get_key_store(request).verify(x_api_key)
        if info is not None:
            return StaffScope(info.companies, actor=info.actor)
    raise HTTPException(status_code=401, detail="invalid API key", headers={"WWW-Authenticate": "ApiKey"})


StaffDep = Annotated[StaffScope, Depends(get_staff)]
