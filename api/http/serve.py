"""`privacy-assistant serve`: prepare the database and the index, then serve the HTTP API with uvicorn.

It lives with the HTTP layer it starts; privacy_assistant/cli.py registers it between `index` and `db`.
Only argparse is imported up front, so registering it costs the other commands nothing."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.cli import Subcommands


def add_serve(sub: Subcommands) -> None:
    """Register `serve` (the `AddCommand` hook of assistant/cli.py)."""
    serve = sub.add_parser(
        "serve",
        help="serve the HTTP API",
        description="Apply migrations, build the index if missing or stale, then serve.",
    )
    serve.add_argument("--host", help="bind address (default PA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PA_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default PA_WORKERS, else one per CPU core)")
    serve.add_argument("--no-build", action="store_true", help="never build the index at start-up")
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Prepare the database and index, then serve the HTTP API."""
    import uvicorn

    from api.server import HardenedHttpToolsProtocol, uvicorn_options
    from assistant.cli import _fail, _resources, _settings
    from assistant.factory import build_embedder, desk_secrets
    from assistant.ingest.corpus import load_companies
    from assistant.storage.keys import check_bootstrap_keys

    settings = _settings()
    # Before the database and the model: a bad staff key list must stop start-up at once.
    companies = load_companies(Path(settings.corpus_dir))
    check_bootstrap_keys(settings.staff_keys, companies)
    known = {c.id for c in companies}
    # A site of an unknown company would get 403 for every chat, its webhook would never fire: say so now.
    for name, named in (("PA_WIDGET_ORIGINS", settings.widget_sites.by_company), ("PA_DESK_WEBHOOKS", settings.webhook_urls)):
        if stray := sorted(set(named) - known):
            _fail(f"{name} names unknown company {', '.join(stray)}; valid ids: {', '.join(sorted(known))}")
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers or os.cpu_count() or 1
    resources = _resources(settings, create=True)
    # The secret before any worker starts: generated here at first start (unless PA_SECRET_KEY is set),
    # so an unwritable key file stops start-up instead of failing the first submission.
    desk_secrets(settings)
    if not args.no_build:
        reason = resources.index.prepare(build_embedder(settings), progress=sys.stderr.isatty())
        if reason:
            print(f"index rebuilt ({reason})", file=sys.stderr)
    if workers > 1 and settings.embedding_threads is None:
        # The workers read settings from the environment: one embedding thread each, since
        # several threads per worker would contend for the cores the other workers use.
        os.environ["PA_EMBEDDING_THREADS"] = "1"
    # Each worker leaves a marker in the run directory once it has loaded, so /readyz (answered
    # by any one worker) can say how many of all of them are ready.
    run_dir = Path(tempfile.mkdtemp(prefix="privacy-assistant-run-"))
    saved = {name: os.environ.get(name) for name in ("PA_RUN_DIR", "PA_WORKERS")}
    os.environ.update(PA_RUN_DIR=str(run_dir), PA_WORKERS=str(workers))
    print(f"serving on http://{host}:{port} with {workers} worker(s) (docs at /docs)", file=sys.stderr)
    # No `server` banner. Forwarded headers are believed only from PA_TRUSTED_PROXIES, by uvicorn
    # (client address, scheme) and by the rate limiter alike; without any, they are ignored.
    trusted = ",".join(sorted(settings.trusted_proxy_set))
    # See api/server.py for why connections need TCP_NODELAY set by hand, and for the head size
    # and read timeouts uvicorn does not enforce itself.
    options = uvicorn_options(settings)
    try:
        # The app is named by string because each of several worker processes imports it anew.
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=HardenedHttpToolsProtocol,
            log_level=settings.log_level.lower(),
            server_header=False,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
            **options,
        )
    finally:  # this run's directory and variables go with it (tests call serve in-process)
        shutil.rmtree(run_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return 0
