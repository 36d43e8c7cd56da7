"""Storage faults with real processes: a SQLite file the server cannot write (an unprivileged
server process), a database outage under the rate limiter, a stalled PostgreSQL behind a TCP
proxy, and NUL bytes that PostgreSQL cannot store."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.db import make_engine, upgrade_database
from assistant.embeddings import Embedder
from assistant.factory import build_assistant
from assistant.settings import Settings
from tests.conftest import CORPUS, ROOT, _settings

FORMAL = {"message": "Please delete all my data", "company": "upward"}
QUESTION = {"message": "What security measures does the company take?", "company": "upward"}

# A server over the hash-embedded index (no model to load), as its own process.
_LAUNCHER = """
import sys, uvicorn
from api.main import create_app
from assistant.factory import build_assistant
from assistant.settings import Settings
from tests.conftest import HashEmbedder
settings = Settings()
app = create_app(settings, build_assistant(settings, HashEmbedder()))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unprivileged() -> list[str]:
    """A prefix that runs a command without the power to write files it may not write.

    Tests run as root, where file modes do not stop writes; without CAP_DAC_OVERRIDE (and the
    rest) they do, for root as for anyone. As another user no prefix is needed."""
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all"] if os.geteuid() == 0 else []


@contextlib.contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[httpx.Client]:
    port = _free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_unprivileged(), sys.executable, "-c", _LAUNCHER, str(port)], cwd=ROOT, env=full_env, stdout=out, stderr=out
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, trust_env=False) as client:
            for _ in range(600):  # bounded: up to about a minute on a loaded machine
                assert proc.poll() is None, log.read_text()[-2000:]
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/healthz").status_code == 200:
                        break
                time.sleep(0.1)
            else:
                pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
            yield client
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


# ------------------------------------------------------------------------------ H1: SQLite read-only
def test_unwritable_sqlite_is_not_ready_and_recovers_without_restart(tmp_path: Path, hash_index_dir: Path) -> None:
    db = tmp_path / "h1.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    db.chmod(0o444)  # the fault: the server process may read the file but not write it
    env = {
        "PA_CORPUS_DIR": str(CORPUS),
        "PA_INDEX_DIR": str(hash_index_dir),
        "PA_DATABASE_URL": url,
        "PA_RATE_LIMIT_PER_MINUTE": "0",
        "PA_BUSY_TIMEOUT_MS": "500",
    }
    with _server(env, tmp_path / "server.log") as client:
        assert client.post("/v1/chat", json=QUESTION).status_code == 200  # questions still answered
        refused = [client.post("/v1/chat", json=FORMAL).status_code for _ in range(3)]
        assert refused == [503, 503, 503]
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["components"]["database"] == "read_only"

        db.chmod(0o644)  # the fault is fixed; the server is not restarted
        after = [client.post("/v1/chat", json={**FORMAL, "message": f"Please delete all my data, ref {n}"}) for n in range(6)]
        assert [r.status_code for r in after] == [200] * 6, [r.text[:200] for r in after]
        assert all(r.json()["route"] == "desk" and r.json()["ticket"] for r in after)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["components"]["database"] == "ok", ready.text


# ------------------------------------------------------------------------------ M6: limiter in an outage
def test_rate_limit_holds_in_a_database_outage(tmp_path: Path, hash_index_dir: Path, hash_embedder: Embedder) -> None:
    db = tmp_path / "db" / "assistant.db"
    url = f"sqlite:///{db}"
    upgrade_database(make_engine(url))
    settings = _settings(hash_index_dir, url, busy_timeout_ms=200, rate_limit_per_minute=3)
    assistant = build_assistant(settings, hash_embedder)
    # The outage: the database folder is moved away and a plain file put in its place.
    (tmp_path / "db").rename(tmp_path / "db-away")
    (tmp_path / "db").write_text("not a folder")
    with TestClient(create_app(settings, assistant)) as c:
        lookups = [c.get("/v1/requests/PRQ-000001", params={"token": "t"}).status_code for _ in range(4)]
        assert lookups == [503, 503, 503, 429], "status look-ups keep a limit"
        refused = c.post("/v1/chat", json=FORMAL)  # ticket writes too, counted with the same client
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert c.get("/healthz").status_code == 200  # endpoints outside the limit are unaffected


# ------------------------------------------------------------------------------ NUL bytes
NUL_REQUESTS = [
    ("GET", "/v1/requests/PRQ%00", {"params": {"token": "t"}}),
    ("GET", "/v1/requests/PRQ-000001", {"params": {"token": "t\x00"}}),
    ("GET", "/v1/desk/tickets/PRQ%00", {}),
    ("GET", "/v1/desk/tickets", {"params": {"company": "upward\x00"}}),
    ("GET", "/v1/desk/tickets", {"params": {"status": "received\x00"}}),
    ("GET", "/v1/desk/tickets.csv", {"params": {"company": "up\x00ward"}}),
    ("DELETE", "/v1/sessions/ab%00cd", {}),
]


def test_nul_in_path_or_query_is_a_400(db_settings: Settings, hash_embedder: Embedder, caplog: pytest.LogCaptureFixture) -> None:
    settings = db_settings.model_copy(update={"desk_api_keys": "all-key=*"})
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder)), raise_server_exceptions=False) as c:
        for method, path, kw in NUL_REQUESTS:
            resp = c.request(method, path, headers={"X-API-Key": "all-key"}, **kw)
            assert resp.status_code == 400, (path, kw, resp.status_code, resp.text[:300])
            assert resp.json()["detail"] == "the path or query contains a NUL character"
    assert not any(r.exc_info for r in caplog.records), "no traceback in the logs"
