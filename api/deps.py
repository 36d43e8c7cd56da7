"""Dependencies shared by the routers."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from assistant.service import Assistant
from assistant.settings import Settings


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


def get_staff(settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None) -> StaffScope:
    """Authenticate a staff API key (header `X-API-Key`); 401 without a valid one."""
    if not x_api_key:
        raise HTTPException(status_code=401, detail="staff endpoints need an X-API-Key header", headers={"WWW-Authenticate": "ApiKey"})
    for key, scope in settings.staff_keys().items():
        if hmac.compare_digest(key.encode(), x_api_key.encode()):
            return StaffScope(scope, actor=f"staff:{key[:4]}…")
    raise HTTPException(status_code=401, detail="invalid API key", headers={"WWW-Authenticate": "ApiKey"})


StaffDep = Annotated[StaffScope, Depends(get_staff)]
