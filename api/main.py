"""The FastAPI application: thin routers over the `assistant` facade."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from api.errors import install_error_handlers
from api.middleware import install_middleware
from api.redoc import install_redoc
from api.routers import chat, companies, desk, health, pages, requests, search, staff, stream
from assistant.service import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def _load(app: FastAPI, settings: Settings) -> None:
    from assistant.errors import AssistantError
    from assistant.factory import build_assistant

    try:
        app.state.assistant = build_assistant(settings)
        log.info("ready: index %s", app.state.assistant.index.manifest.build_id)
    except (AssistantError, OSError, ImportError) as exc:
        app.state.load_error = str(exc)
        log.error("could not load the assistant: %s", exc)
    except Exception as exc:  # a corrupt file may raise anything; report it, never hang in "loading"
        app.state.load_error = f"the index could not be loaded ({type(exc).__name__}: {exc}); run `privacy-assistant index build`"
        log.error("could not load the assistant: %s: %s", type(exc).__name__, exc)


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """Build the app; the assistant loads in the background unless one is given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if assistant is None:
            # Load off the event loop so /healthz answers at once and /readyz reports progress.
            threading.Thread(target=_load, args=(app, settings), daemon=True).start()
        yield

    # Swagger UI from the fastapi-offline package (no CDN) and ReDoc from its bundle (api/redoc.py): both work offline.
    app = FastAPIOffline(
        redoc_url=None,
        title="privacy-assistant",
        version="0.1.0",
        summary="Answers from a company's privacy policy, with verbatim citations; formal requests go to its privacy desk.",
        lifespan=lifespan,
        # No online validator badge (Swagger UI would fetch it from validator.swagger.io).
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.load_error = None
    install_redoc(app)
    install_error_handlers(app)
    install_middleware(app, settings)
    for module in (health, chat, companies, requests, desk, search, stream, staff, pages):
        app.include_router(module.router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
