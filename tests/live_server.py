"""A real server process for connection-level tests: `serve`'s protocol and uvicorn options over
the hash-embedded index, on a listening socket the test bound (so no port race).

Run as `python -m tests.live_server FD` with PA_* settings in the environment; with PA_WORKERS
above 1 it runs that many worker processes, each reporting ready in PA_RUN_DIR as under `serve`."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from api.main import create_app
from api.server import HardenedHttpToolsProtocol, uvicorn_options
from assistant.settings import Settings
from assistant.testing.fakes import HashEmbedder


def make_app() -> FastAPI:
    """The app as one worker builds it, with the hash embedder instead of the model."""
    return create_app(Settings(), embedder=HashEmbedder())


def main() -> None:
    settings = Settings()
    workers = settings.workers or 1
    trusted = ",".join(sorted(settings.trusted_proxy_set))
    uvicorn.run(
        "tests.live_server:make_app",
        factory=True,
        fd=int(sys.argv[1]),
        workers=workers,
        http=HardenedHttpToolsProtocol,
        log_level="warning",
        server_header=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
