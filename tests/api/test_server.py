"""Server plumbing: every accepted connection gets TCP_NODELAY, however uvicorn bound the socket."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from api.server import HardenedHttpToolsProtocol, NoDelayHttpToolsProtocol


class SocketTransport(asyncio.Transport):
    """Just enough of a transport for `connection_made`: it hands out a real socket."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"socket": self._sock, "peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def is_closing(self) -> bool:
        return False


def test_accepted_connections_get_tcp_nodelay() -> None:
    # Bound the way uvicorn binds for several workers: protocol number 0, so asyncio leaves
    # TCP_NODELAY off on what it accepts.
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    loop = asyncio.new_event_loop()
    try:
        assert accepted.proto == 0 and not accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        config = Config(app=lambda scope, receive, send: None)
        config.load()
        protocol = NoDelayHttpToolsProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        protocol.connection_made(SocketTransport(accepted))
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        loop.close()
        for s in (client, accepted, listener):
            s.close()


def test_serve_passes_the_protocol(tmp_path: Any, monkeypatch: Any) -> None:
    import uvicorn

    from privacy_assistant.cli import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **kwargs: seen.update(kwargs, run_dir=os.environ["PA_RUN_DIR"], workers_env=os.environ["PA_WORKERS"])
    )
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PA_WORKERS", "2")
    # Unset (serve then chooses one thread per worker); set-then-delete makes monkeypatch
    # remove what serve writes when the test ends.
    monkeypatch.setenv("PA_EMBEDDING_THREADS", "1")
    monkeypatch.delenv("PA_EMBEDDING_THREADS")
    assert main(["serve", "--no-build"]) == 0
    assert seen["http"] is HardenedHttpToolsProtocol and issubclass(HardenedHttpToolsProtocol, NoDelayHttpToolsProtocol)
    assert seen["workers"] == 2
    # A cap well above make bench's 32 clients, a keep-alive timeout and a head limit (M7).
    assert seen["limit_concurrency"] >= 128 and seen["timeout_keep_alive"] == 5 and seen["h11_max_incomplete_event_size"] == 32768
    assert seen["run_dir"] and seen["workers_env"] == "2"  # where the workers report ready, while they run
    assert "PA_RUN_DIR" not in os.environ and not Path(seen["run_dir"]).exists()  # gone with the run
    assert os.environ["PA_EMBEDDING_THREADS"] == "1"  # what the workers will read (monkeypatch restores it)
