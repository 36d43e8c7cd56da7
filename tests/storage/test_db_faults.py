"""Storage faults with real processes: a SQLite file the server cannot write (an unprivileged
server process), a database outage under the rate limiter, a stalled PostgreSQL behind a TCP
proxy, and NUL bytes that PostgreSQL cannot store."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from assistant.factory import build_assistant
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from assistant.storage.db import make_engine, normalize_url, upgrade_database
from tests.conftest import CORPUS, ROOT, _settings

FORMAL = {"message": "Please delete all my data", "company": "upward"}
QUESTION = {"message": "What security measures does the company take?", "company": "upward"}

# A server over the hash-embedded index (no model to load), as its own process.
_LAUNCHER = """
import sys, uvicorn
from api.main import create_app
from assistant.factory import build_assistant
from assistant.settings import Settings
from assistant.testing.fakes import HashEmbedder
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
        assert all(r.json()["route"] == "desk" and r.json()["request_draft"] for r in after)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["components"]["database"] == "ok", ready.text


# ------------------------------------------------------------------------------ M6: limiter in an outage
def test_rate_limit_holds_in_a_database_outage(
    tmp_path: Path, hash_index_dir: Path, hash_embedder: Embedder, frozen_clock: list[float]
) -> None:
    db = tmp_path / "db" / "assistant.storage.db"
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


# ------------------------------------------------------------------------------ M9: PostgreSQL stalls
class StallableProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL that can stop forwarding (both ways) and resume."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

        self._pause_on: bytes | None = None
        self._threads[0].start()

    def pause(self) -> None:
        self._forwarding.clear()

    def pause_on(self, marker: bytes) -> None:
        """Pause as soon as the client sends `marker` (that chunk is held too)."""
        self._pause_on = marker

    def resume(self) -> None:
        self._forwarding.set()

    def close(self) -> None:
        self._stopped.set()
        self._forwarding.set()
        for s in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv (close alone does not)
            with contextlib.suppress(OSError):
                s.close()
        for t in self._threads:
            t.join(5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=5)
            server.settimeout(None)
            self._sockets += [client, server]
            for src, dst, upstream in ((client, server, True), (server, client, False)):
                t = threading.Thread(target=self._pump, args=(src, dst, upstream), daemon=True)
                self._threads.append(t)
                t.start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if upstream and self._pause_on and self._pause_on in data:
                    self._pause_on = None
                    self.pause()
                while not self._forwarding.wait(0.1):  # paused: hold the bytes
                    if self._stopped.is_set():
                        return
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)


@pytest.mark.postgres
@pytest.mark.parametrize("stall", ["before-the-request", "at-commit"])
def test_stalled_postgres_fails_fast_never_commits_later_and_recovers(stall: str, hash_index_dir: Path, hash_embedder: Embedder) -> None:
    from tests.conftest import POSTGRES_URL, drop_postgres_schema, fresh_postgres_schema, submission

    if not POSTGRES_URL:
        pytest.skip("PA_TEST_POSTGRES_URL not set (.ci/run sets it)")
    direct, schema = fresh_postgres_schema()
    target = make_url(normalize_url(direct))
    proxy = StallableProxy((target.host or "127.0.0.1", target.port or 5432))
    via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = _settings(
        hash_index_dir,
        via_proxy,
        database_schema=schema,
        db_connect_timeout_s=1,
        db_statement_timeout_ms=300,
        db_request_timeout_s=0.8,
    )
    try:
        with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as c:
            first = c.post("/v1/requests", json=submission(c.post("/v1/chat", json=FORMAL).json()))
            assert first.status_code == 201, first.text
            assert c.get("/readyz").json()["components"]["database"] == "ok"
            pending = submission(c.post("/v1/chat", json={**FORMAL, "message": "Please delete all my data, stalled"}).json())

            # The network stalls: nothing reaches the server, nothing comes back. At commit, the
            # COMMIT itself is held, and reaches the server after the client has been answered.
            proxy.pause() if stall == "before-the-request" else proxy.pause_on(b"COMMIT")
            answers: dict[str, httpx.Response] = {}

            def call(name: str, method: str, path: str, **kw: object) -> None:
                answers[name] = c.request(method, path, **kw)  # type: ignore[arg-type]

            calls = [
                threading.Thread(
                    target=call,
                    args=("formal", "POST", "/v1/requests"),
                    kwargs={"json": pending},
                    daemon=True,
                ),
                threading.Thread(target=call, args=("ready", "GET", "/readyz"), daemon=True),
            ]
            for t in calls:  # one after the other: the probe would not stall before the COMMIT
                t.start()
                t.join(30)  # a guard against hanging, not a timing
            assert set(answers) == {"formal", "ready"}, "a request hung on the stalled database"
            assert answers["formal"].status_code == 503, answers["formal"].text
            assert answers["ready"].status_code == 503
            assert answers["ready"].json()["components"]["database"] == "unreachable"

            proxy.resume()  # whatever was held now reaches the server
            time.sleep(0.5)  # let it arrive (and commit, if it were going to)
            engine = make_engine(direct, schema=schema)
            try:
                with engine.connect() as conn:
                    stored = conn.exec_driver_sql("SELECT reference FROM desk_tickets").scalars().all()
            finally:
                engine.dispose()
            assert stored == [first.json()["reference"]], "the request answered 503 committed nothing, then or later"

            again = c.post("/v1/requests", json=pending)
            assert again.status_code == 201 and again.json()["reference"] != first.json()["reference"], "recovered without a restart"
            assert c.get("/readyz").status_code == 200
    finally:
        proxy.close()
        drop_postgres_schema(schema)


def test_checking_a_database_is_writable_keeps_other_connections_locks(tmp_path: Path) -> None:
    """The writability check must not open and close the database files: closing any descriptor
    of a file drops this process's POSIX locks on it, and another connection's lock with them."""
    import sqlite3

    from assistant.storage.db import _check_writable

    path = tmp_path / "locks.db"
    holder = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # this process now holds the write lock
    holder.execute("INSERT INTO t VALUES (1)")
    _check_writable(str(path))
    # Another process sees the lock only through the OS (this process's SQLite would answer from
    # its own bookkeeping): the lock must still be held there.
    probe = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0.1)\n"
        "try:\n    c.execute('BEGIN IMMEDIATE'); print('got the lock')\n"
        "except sqlite3.OperationalError as e:\n    print(e)\n"
    )
    seen = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=30).stdout
    holder.execute("COMMIT")
    holder.close()
    assert "locked" in seen, seen
