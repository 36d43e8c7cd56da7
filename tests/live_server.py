"""A real server process for connection-level tests: `serve`'s protocol and uvicorn options over
the hash-embedded index, on a listening socket the test bound (so no port race).

Run as `python -m tests.live_server FD` with PA_* settings in the environment."""

from __future__ import annotations

import sys

import uvicorn

from api.main import create_app
from api.server import HardenedHttpToolsProtocol, uvicorn_options
from assistant.settings import Settings
from tests.conftest import HashEmbedder


def main() -> None:
    settings = Settings()
    app = create_app(settings, embedder=HashEmbedder())
    uvicorn.run(
        app, fd=int(sys.argv[1]), http=HardenedHttpToolsProtocol, log_level="warning", server_header=False,
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies or None,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
