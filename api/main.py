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
from api.http.ratelimit import rate_counters
from api.middleware import install_middleware
from api.redoc import install_redoc
from api.routers import chat, companies, desk, health, meta, pages, requests, search, staff, stream
from assistant.backoffice import Backoffice
from assistant.factory import Resources, request_limits
from assistant.models.embedders import Embedder
from assistant.service import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def _resources(settings: Settings) -> Resources | None:
    """The factory's resources; None when they cannot be built (e.g. companies.toml unreadable): the desk paths answer 503."""
    from assistant.errors import AssistantError
    from assistant.factory import build_resources

    try:
        return build_resources(settings)
    except (AssistantError, OSError, ValueError) as exc:
        log.error("could not open the stores: %s", exc)
        return None


def _watch(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    """Load the index, then look at its CURRENT pointer every few seconds for a new build."""
    from api.server import mark_worker_ready

    served = app.state.served
    served.refresh()
    app.state.started = True
    if settings.run_dir is not None:
        mark_worker_ready(Path(settings.run_dir))
    while settings.index_watch_seconds > 0 and not stop.wait(settings.index_watch_seconds):
        try:
            served.refresh()
        except Exception:  # the watcher must outlive any surprise; the previous build keeps serving
            log.exception("index watcher")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the assistant loads in the background (and follows new builds) unless one is given."""
    from assistant.index.reloader import ServedAssistant

    settings = settings or Settings()
    # Built here, once per worker, by the one factory; the API adds only its rate counters on top.
    resources = _resources(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.server import unmark_worker

        stop = threading.Event()
        if assistant is None:
            if resources is not None:
                app.state.served = ServedAssistant(settings, resources, embedder=embedder)
                # Off the event loop, so /healthz answers at once and /readyz reports progress.
                threading.Thread(target=_watch, args=(app, settings, stop), daemon=True, name="index-watch").start()
            else:
                app.state.started = True
        yield
        stop.set()
        if settings.run_dir is not None:
            unmark_worker(Path(settings.run_dir))
        if resources is not None:
            resources.close()  # a stopped worker holds no database connections

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
    counters = rate_counters(
        resources.quick_engine if resources is not None else None,
        settings.rate_limit_per_minute,
        settings.staff_auth_failures_per_minute,
    )
    app.state.settings = settings
    app.state.resources = resources
    app.state.rate_counters = counters
    app.state.served = None
    app.state.started = assistant is not None
    if assistant is not None:
        # The desk paths use the stores the assistant handed in uses (fakes, in tests).
        app.state.backoffice = assistant.backoffice()
        app.state.served = ServedAssistant(settings, resources, assistant=assistant)
    else:
        app.state.backoffice = (
            Backoffice(
                resources.directory, resources.sessions, resources.desk, resources.drafts, request_limits(settings), resources.notifier
            )
            if resources is not None
            else None
        )
    install_redoc(app)
    install_error_handlers(app)
    install_middleware(app, settings, counters.requests)
    for module in (health, meta, chat, companies, requests, desk, search, stream, staff, pages):
        app.include_router(module.router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
