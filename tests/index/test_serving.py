"""M8 and readiness: the desk works without an index, a new build is picked up while serving,
a damaged one is refused while the previous keeps serving, and /readyz reports each component
(workers across processes included)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import UNAVAILABLE_DETAIL
from api.main import create_app
from api.server import process_started
from assistant.desk.tickets import NewTicket, SqlDeskQueue
from assistant.factory import rebuild_index
from assistant.index.builds import POINTER, _write_pointer
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from assistant.storage.db import make_engine
from tests.conftest import _settings

QUESTION = {"message": "How much does UPWARD charge for a disclosure request?", "company": "upward"}
KEY = {"X-API-Key": "all-staff-key-for-tests-0001"}


def _started(app: FastAPI, client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while not app.state.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert app.state.started


@pytest.fixture
def served_index(tmp_path: Path, hash_index_dir: Path) -> Path:
    """A private copy of the hash index (with its embedding cache, so rebuilds are quick)."""
    copy = tmp_path / "index"
    shutil.copytree(hash_index_dir, copy)
    return copy


def _app(index_dir: Path, sqlite_url: str, embedder: Embedder, **extra: object) -> tuple[FastAPI, Settings]:
    settings = _settings(index_dir, sqlite_url, desk_api_keys="all-staff-key-for-tests-0001=*", index_watch_seconds=0.05, **extra)
    return create_app(settings, embedder=embedder), settings


def test_desk_and_status_paths_work_without_an_index(tmp_path: Path, sqlite_url: str, hash_embedder: Embedder) -> None:
    ticket = SqlDeskQueue(make_engine(sqlite_url)).submit(
        NewTicket("upward", "v1", ("deletion",), False, "api", "Please delete my data.", "s1", 14, draft_id="d1")
    )
    app, _ = _app(tmp_path / "no-index", sqlite_url, hash_embedder)
    with TestClient(app) as c:
        _started(app, c)
        status = c.get(f"/v1/requests/{ticket.id}", params={"token": ticket.lookup_token})
        assert status.status_code == 200 and status.json()["status"] == "received"
        assert c.get("/v1/desk/tickets", headers=KEY).json()["total"] == 1
        moved = c.post(f"/v1/desk/tickets/{ticket.id}/status", json={"status": "in_progress"}, headers=KEY)
        assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
        assert c.get("/v1/desk/tickets.csv", headers=KEY).status_code == 200
        assert c.get("/v1/staff/me", headers=KEY).json()["all_companies"] is True
        assert "upward" in [co["id"] for co in c.get("/v1/companies").json()]
        assert c.delete("/v1/sessions/some-session").status_code == 204
        chat = c.post("/v1/chat", json=QUESTION)
        assert chat.status_code == 503 and chat.json()["detail"] == UNAVAILABLE_DETAIL
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert ready.json()["components"] == {"database": "ok", "index": "missing", "workers": "1/1"}
        assert c.get("/healthz").status_code == 200  # liveness only


def test_a_new_build_is_picked_up_while_serving_with_no_dropped_request(
    served_index: Path, sqlite_url: str, hash_embedder: Embedder
) -> None:
    app, settings = _app(served_index, sqlite_url, hash_embedder)
    with TestClient(app) as c:
        _started(app, c)
        before = c.get("/readyz").json()["index_build"]
        builder = threading.Thread(target=rebuild_index, args=(settings, hash_embedder), kwargs={"progress": False})
        builder.start()
        codes: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # chats all through the build and the swap
            codes.append(c.post("/v1/chat", json=QUESTION).status_code)
            ready = c.get("/readyz").json()
            if not builder.is_alive() and ready["index_build"] != before:
                break
        builder.join(60)
        assert ready["index_build"] == (served_index / POINTER).read_text().strip() != before
        assert ready["components"]["index"] == "ok" and "refused_build" not in ready
        assert codes and set(codes) == {200}, f"{len(codes)} chats during the swap: {sorted(set(codes))}"


def _damage(build: Path, how: str) -> None:
    target = build / "spans.faiss"
    data = target.read_bytes()
    if how == "truncated-faiss":
        target.write_bytes(data[: len(data) - 4096])
    else:  # same size, one byte changed: only the checksum can tell
        target.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])


@pytest.mark.parametrize("how", ["truncated-faiss", "altered-faiss"])
def test_a_damaged_build_is_refused_and_the_previous_keeps_serving(
    how: str, served_index: Path, sqlite_url: str, hash_embedder: Embedder, tmp_path: Path
) -> None:
    app, _ = _app(served_index, sqlite_url, hash_embedder)
    with TestClient(app) as c:
        _started(app, c)
        before = c.get("/readyz").json()["index_build"]
        # A new build made elsewhere, damaged, then published the way `index build` publishes.
        scratch = tmp_path / "scratch"
        shutil.copytree(served_index, scratch)
        new = rebuild_index(_settings(scratch, sqlite_url), hash_embedder, progress=False).build_id
        _damage(scratch / "builds" / new, how)
        shutil.move(scratch / "builds" / new, served_index / "builds" / new)
        _write_pointer(served_index, new)
        deadline = time.monotonic() + 30
        while app.state.served.refused != new and time.monotonic() < deadline:
            time.sleep(0.02)
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["refused_build"] == new
        assert ready.json()["index_build"] == before and ready.json()["components"]["index"] == "ok"
        chat = c.post("/v1/chat", json=QUESTION)
        assert chat.status_code == 200 and chat.json()["route"] == "answer"


def test_a_damaged_build_at_start_up_gets_a_product_message_not_faiss_text(
    served_index: Path, sqlite_url: str, hash_embedder: Embedder
) -> None:
    _damage(served_index / "builds" / (served_index / POINTER).read_text().strip(), "truncated-faiss")
    app, _ = _app(served_index, sqlite_url, hash_embedder)
    with TestClient(app) as c:
        _started(app, c)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["components"]["index"] == "damaged"
        for resp in (c.post("/v1/chat", json=QUESTION), c.get("/v1/search", params={"q": "fee"}, headers=KEY)):
            assert resp.status_code == 503 and resp.json()["detail"] == UNAVAILABLE_DETAIL
            assert "faiss" not in resp.text.lower() and "index_read" not in resp.text and str(served_index) not in resp.text


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait(10)


def test_readyz_counts_ready_workers_across_processes(
    tmp_path: Path, hash_assistant: object, hash_settings: Settings, other_process: subprocess.Popen[bytes]
) -> None:
    """What `serve` sets up: a run directory where each worker marks itself ready once loaded."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    settings = hash_settings.model_copy(update={"run_dir": run_dir, "workers": 2, "index_watch_seconds": 0.05})
    dead = subprocess.Popen(["true"])
    dead.wait(10)
    (run_dir / f"worker-{dead.pid}").write_text("0\n")  # a worker that crashed after marking itself ready
    zombie = subprocess.Popen(["true"])  # killed but not yet reaped by its parent: signal 0 still reaches it
    deadline = time.monotonic() + 10
    while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    (run_dir / f"worker-{zombie.pid}").write_text("0\n")
    app = create_app(settings, embedder=hash_assistant.retriever.embedder)  # type: ignore[attr-defined]
    with TestClient(app) as c:
        _started(app, c)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["components"]["workers"] == "1/2"
        assert ready.json()["status"] == "starting"  # the other worker is still on its way
        # A live process under a dead worker's pid (pids, threads' included, wrap at 32768) is not that worker.
        (run_dir / f"worker-{other_process.pid}").write_text("1\n")
        assert c.get("/readyz").json()["components"]["workers"] == "1/2"
        (run_dir / f"worker-{other_process.pid}").write_text(f"{process_started(other_process.pid)}\n")  # the restarted worker is ready
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["components"]["workers"] == "2/2"
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(f"worker-{p.pid}" for p in (dead, zombie, other_process))
    zombie.wait(10)
