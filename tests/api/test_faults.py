"""Faults: the database gone or locked, the index missing or corrupt, and real processes killed
with SIGKILL mid-build and mid-burst. Questions keep being answered; formal requests are
either acknowledged and stored, or refused with a 503 that tells the customer what to do."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.deps import UNAVAILABLE_DETAIL
from api.main import create_app
from assistant.desk.tickets import SqlDeskQueue
from assistant.errors import IndexNotBuiltError, StaleIndexError
from assistant.factory import build_assistant
from assistant.index.builds import POINTER, load_index
from assistant.models.embedders import Embedder
from assistant.storage.db import make_engine, upgrade_database
from tests.conftest import CORPUS, ROOT, _settings, submission

QUESTION = {"message": "What security measures does the company take?", "company": "upward"}
FORMAL = {"message": "Please delete all my data", "company": "upward"}


def _tickets(url: str, schema: str | None = None) -> list[Any]:
    engine = make_engine(url, schema=schema)
    try:
        return SqlDeskQueue(engine).list(limit=100_000)[0]
    finally:
        engine.dispose()


def _assert_storage_503(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert "retry" in body["detail"] and "privacy desk" in body["detail"]
    assert body["request_id"] == resp.headers["x-request-id"]
    assert resp.headers["retry-after"]
    assert "Traceback" not in resp.text


# ------------------------------------------------------------------------------ (a) database unavailable
@pytest.mark.parametrize("kind", ["sqlite-gone", "postgres-unreachable"])
def test_database_unavailable_questions_answered_requests_refused(
    kind: str, tmp_path: Path, hash_index_dir: Path, hash_embedder: Embedder
) -> None:
    if kind == "sqlite-gone":
        db = tmp_path / "db" / "assistant.storage.db"
        url = f"sqlite:///{db}"
        upgrade_database(make_engine(url))
        settings = _settings(
            hash_index_dir, url, desk_api_keys="all-staff-key-for-tests-0001=*", busy_timeout_ms=200, rate_limit_per_minute=1000
        )
        assistant = build_assistant(settings, hash_embedder)
        # The database disappears: its folder is moved away and a plain file put in its place.
        shutil.move(tmp_path / "db", tmp_path / "db-away")
        (tmp_path / "db").write_text("not a folder")
    else:
        settings = _settings(
            hash_index_dir,
            "postgresql://nobody@127.0.0.1:1/none",
            desk_api_keys="all-staff-key-for-tests-0001=*",
            rate_limit_per_minute=1000,
        )
        assistant = build_assistant(settings, hash_embedder)
    # Rate limiting is on: its counter lives in the same database and must fail open.
    with TestClient(create_app(settings, assistant)) as c:
        answered = c.post("/v1/chat", json=QUESTION)
        assert answered.status_code == 200 and answered.json()["route"] in ("answer", "abstain")
        assert c.post("/v1/chat", json={**QUESTION, "session_id": "a" * 32}).status_code == 200
        _assert_storage_503(c.post("/v1/chat", json=FORMAL))
        _assert_storage_503(c.post("/v1/chat/stream", json=FORMAL))
        submit = {"draft_id": "d" * 32, "session_id": "s" * 32, "contact": {"email": "a@example.org"}, "consent": True}
        _assert_storage_503(c.post("/v1/requests", json=submit))
        assert c.get("/v1/requests/PRQ-000001", params={"token": "t"}).status_code == 503
        assert c.delete("/v1/sessions/abc").status_code == 503
        assert c.get("/v1/desk/tickets", headers={"X-API-Key": "all-staff-key-for-tests-0001"}).status_code == 503
        assert c.get("/v1/staff/me", headers={"X-API-Key": "pak_" + "x" * 43}).status_code == 503
        ready = c.get("/readyz")  # answers still come, but the database is down: not ready
        assert ready.status_code == 503 and ready.json()["components"] == {"database": "unreachable", "index": "ok", "workers": "1/1"}
    if kind == "sqlite-gone":
        (tmp_path / "db").unlink()
        shutil.move(tmp_path / "db-away", tmp_path / "db")
        assert _tickets(url) == [], "a refused request left no ticket behind"


# ------------------------------------------------------------------------------ (b) SQLite locked
def test_sqlite_locked_past_busy_timeout_then_recovers(tmp_path: Path, hash_index_dir: Path, hash_embedder: Embedder) -> None:
    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}"
    upgrade_database(make_engine(url))
    settings = _settings(hash_index_dir, url, busy_timeout_ms=200)
    assistant = build_assistant(settings, hash_embedder)
    with TestClient(create_app(settings, assistant)) as c:
        holder = sqlite3.connect(db, isolation_level=None, timeout=0.1)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            # How long it waits is the busy timeout's (tests/storage/test_db.py checks the engine
            # sets it); a timing here would only measure this machine's load.
            _assert_storage_503(c.post("/v1/chat", json=FORMAL))
            assert c.post("/v1/chat", json=QUESTION).status_code == 200  # questions still answered
        finally:
            holder.rollback()
            holder.close()
        assert _tickets(url) == []
        ok = c.post("/v1/chat", json=FORMAL)
        assert ok.status_code == 200 and ok.json()["route"] == "desk"
        holder = sqlite3.connect(db, isolation_level=None, timeout=0.1)
        try:  # the submission meets the lock too: refused, and nothing stored
            holder.execute("BEGIN EXCLUSIVE")
            _assert_storage_503(c.post("/v1/requests", json=submission(ok.json())))
        finally:
            holder.rollback()
            holder.close()
        ticket = c.post("/v1/requests", json=submission(ok.json())).json()
        again = c.post("/v1/requests", json=submission(ok.json())).json()
        assert again == ticket
    tickets = _tickets(url)
    assert [t.reference for t in tickets] == [ticket["reference"]], "exactly one ticket"


# ------------------------------------------------------------------------------ (c) index missing or corrupt
def _corrupt(index_dir: Path, how: str) -> None:
    build = index_dir / "builds" / (index_dir / POINTER).read_text().strip()
    if how == "missing":
        shutil.rmtree(index_dir)
    elif how == "pointer-to-nowhere":
        (index_dir / POINTER).write_text("20000101T000000-gone\n")
    elif how == "pointer-garbage":
        (index_dir / POINTER).write_bytes(b"\xff\xfe\x00garbage")
    elif how == "truncated-faiss":
        data = (build / "chunks.faiss").read_bytes()
        (build / "chunks.faiss").write_bytes(data[: len(data) // 3])
    elif how == "garbage-json":
        (build / "chunks.json").write_text("{ not json")
    elif how == "manifest-garbage":
        (build / "manifest.json").write_text("[1, 2")
    elif how == "intent-weights-garbage":
        weights = [
            p
            for p in build.iterdir()
            if p.name
            not in {"chunks.faiss", "spans.faiss", "bm25.json", "chunks.json", "span_rows.json", "documents.json", "manifest.json"}
        ]
        assert weights, "the build has an intent-weights file"
        for p in weights:
            p.write_bytes(b"\x00garbage")
    else:  # pragma: no cover
        raise ValueError(how)


HOW = ["missing", "pointer-to-nowhere", "pointer-garbage", "truncated-faiss", "garbage-json", "manifest-garbage", "intent-weights-garbage"]


@pytest.fixture
def broken_index(tmp_path: Path, hash_index_dir: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(hash_index_dir, copy)
    return copy


@pytest.mark.parametrize("how", HOW)
def test_index_missing_or_corrupt_is_a_clear_503(
    how: str,
    broken_index: Path,
    sqlite_url: str,
    hash_embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _corrupt(broken_index, how)
    monkeypatch.setattr("assistant.factory.build_embedder", lambda settings: hash_embedder)  # no model needed
    app = create_app(_settings(broken_index, sqlite_url))
    with TestClient(app) as c:
        deadline = time.monotonic() + 30
        while not app.state.started and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        expected = "missing" if how in ("missing", "pointer-to-nowhere") else "damaged"
        assert ready.json()["components"]["index"] == expected and "Traceback" not in ready.text
        chat = c.post("/v1/chat", json=QUESTION)
        assert chat.status_code == 503 and chat.headers["content-type"].startswith("application/json")
        assert chat.json()["detail"] == UNAVAILABLE_DETAIL and chat.json()["request_id"]
    assert not any(r.exc_info for r in caplog.records), "no traceback in the logs either"


@pytest.mark.parametrize("how", HOW)
def test_serve_preparation_rebuilds_a_broken_index(how: str, broken_index: Path, sqlite_url: str, hash_embedder: Embedder) -> None:
    """What `privacy-assistant serve` does before it listens: rebuild when missing, stale or not loadable."""
    from assistant.factory import IndexHandle

    _corrupt(broken_index, how)
    settings = _settings(broken_index, sqlite_url)
    with pytest.raises((IndexNotBuiltError, StaleIndexError)):
        IndexHandle(settings.model_copy(update={"auto_build_index": False})).prepare(hash_embedder)
    assert IndexHandle(settings).prepare(hash_embedder), "a reason is returned when it rebuilt"
    assert IndexHandle(settings).prepare(hash_embedder) is None, "a good index is left alone"
    assistant = build_assistant(settings, hash_embedder)
    assert assistant.reply(QUESTION["message"], company="upward").route in ("answer", "abstain")


# ------------------------------------------------------------------------------ (d) SIGKILL, for real
def _cli() -> list[str]:
    script = ROOT / ".venv" / "bin" / "privacy-assistant"
    return [str(script)] if script.is_file() else ["privacy-assistant"]


@pytest.mark.slow
@pytest.mark.parametrize("phase", [b"embedding clauses", b"embedding passages"])
def test_sigkill_mid_index_build_keeps_previous_build(
    phase: bytes, tmp_path: Path, real_index_dir: Path, real_embedder: Embedder, sqlite_url: str
) -> None:
    index_dir = tmp_path / "index"
    # Without the embedding cache, so the build really embeds (and can be caught doing it).
    shutil.copytree(real_index_dir, index_dir, ignore=shutil.ignore_patterns("cache"))
    pointer_before = (index_dir / POINTER).read_text()
    builds_before = sorted(p.name for p in (index_dir / "builds").iterdir())
    env = {
        **os.environ,
        "PA_INDEX_DIR": str(index_dir),
        "PA_CORPUS_DIR": str(CORPUS),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PA_EMBEDDING_CACHE": "false",
    }
    proc = subprocess.Popen([*_cli(), "index", "build"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = bytearray()
    started = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):  # type: ignore[attr-defined]
            seen.extend(chunk)
            if phase in seen:
                started.set()

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    try:
        assert started.wait(300), f"the build never reached {phase!r}: {bytes(seen[-500:])!r}"
        time.sleep(0.5)  # well inside the embedding loop
        assert proc.poll() is None, "the build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    reader.join(5)
    assert (index_dir / POINTER).read_text() == pointer_before, "CURRENT unchanged"
    complete = sorted(p.name for p in (index_dir / "builds").iterdir() if not p.name.startswith("."))
    assert complete == builds_before, "no half build was published"
    loaded = load_index(index_dir)
    assert loaded.manifest.build_id == pointer_before.strip()
    settings = _settings(index_dir, sqlite_url)
    reply = build_assistant(settings, real_embedder).reply("How much does UPWARD charge for a disclosure request?", company="upward")
    assert reply.route == "answer" and reply.citations


@pytest.fixture
def server_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PA_DESK_API_KEYS", "crash-staff-key-for-tests-04=*")
    monkeypatch.setenv("PA_BUSY_TIMEOUT_MS", "10000")
    yield


@pytest.mark.slow
def test_sigkill_server_mid_burst_loses_no_acknowledged_ticket(tmp_path: Path, real_index_dir: Path, server_env: None) -> None:
    from evals.bench_http import start_server

    db = tmp_path / "crash.db"
    server = start_server(CORPUS, real_index_dir, db, tmp_path / "server1.log")
    acknowledged: dict[str, str] = {}  # reference -> message
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(1_000_000))

    def worker() -> None:
        with httpx.Client(base_url=server.base_url, timeout=60, trust_env=False) as client:
            while not stop.is_set():
                with lock:
                    n = next(counter)
                if n >= 400:  # bounded
                    return
                message = f"Please delete all my personal data. My customer number is {100000 + n}."
                company = ("upward", "highreso", "sb-cs")[n % 3]
                try:
                    resp = client.post("/v1/chat", json={"message": message, "company": company})
                    if resp.status_code == 200 and resp.json()["request_draft"]:
                        resp = client.post("/v1/requests", json=submission(resp.json()))  # the customer submits
                except httpx.TransportError:
                    return  # the server died under us: not acknowledged
                if resp.status_code == 201:
                    assert "server" not in resp.headers and resp.headers["x-request-id"]
                    with lock:
                        acknowledged[resp.json()["reference"]] = message
                elif resp.status_code == 200:
                    with lock:
                        failures.append(f"not routed to the desk: {message}")
                elif resp.status_code >= 500:
                    with lock:
                        failures.append(f"{resp.status_code}: {resp.text[:200]}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 300
        while len(acknowledged) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged) >= 12, f"too few acknowledged before the kill: {server.log_tail()}"
        server.kill()  # mid-burst, the server and its workers: requests are in flight
        assert server.proc.returncode == -signal.SIGKILL
    finally:
        stop.set()
        for t in threads:
            t.join(70)
        server.stop()
    acked_at_kill = dict(acknowledged)
    assert not failures, failures
    restarted = start_server(CORPUS, real_index_dir, db, tmp_path / "server2.log")
    try:
        with httpx.Client(base_url=restarted.base_url, timeout=60, trust_env=False) as client:
            listed = client.get("/v1/desk/tickets", params={"limit": 500}, headers={"X-API-Key": "crash-staff-key-for-tests-04"}).json()
            after = client.post("/v1/chat", json={"message": "Please delete all my personal data. Customer 999999.", "company": "upward"})
            assert after.status_code == 200 and after.json()["route"] == "desk", "serves again after the crash"
    finally:
        restarted.stop()
    stored = {t["reference"]: t["message"] for t in listed["items"]}
    missing = {ref: msg for ref, msg in acked_at_kill.items() if stored.get(ref) != msg}
    assert not missing, f"acknowledged but lost after SIGKILL: {missing}"
    assert len(stored) == listed["total"] >= len(acked_at_kill)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(
        f"\nSIGKILL burst: {len(acked_at_kill)} acknowledged before the kill, all stored; {len(stored)} in the "
        f"database after the restart ({len(stored) - len(acked_at_kill) - 1} committed but never acknowledged, +1 after)"
    )
