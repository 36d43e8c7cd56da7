"""200 concurrent formal requests over real HTTP, each chat's draft submitted: 200 tickets, 200 distinct
references, none lost."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.settings import Settings
from assistant.storage.db import make_engine, upgrade_database
from tests.conftest import CORPUS, POSTGRES_URL, drop_postgres_schema, fresh_postgres_schema, submission

pytestmark = pytest.mark.slow
N = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path, real_index_dir: Path, real_embedder) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    from api.main import create_app
    from assistant.factory import build_assistant

    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'http.db'}"
        upgrade_database(make_engine(url))
    else:
        if not POSTGRES_URL:
            pytest.skip("PA_TEST_POSTGRES_URL not set (.ci/run sets it)")
        url, schema = fresh_postgres_schema()
    settings = Settings(
        corpus_dir=CORPUS,
        index_dir=real_index_dir,
        database_url=url,
        database_schema=schema,
        rate_limit_per_minute=0,
        max_submissions_per_hour=1_000_000,  # every request comes from one address here
        secret_key="a-test-secret-that-is-long-enough-0123456789",
        busy_timeout_ms=30000,
    )  # type: ignore[call-arg]
    assistant = build_assistant(settings, real_embedder)
    port = _free_port()
    config = uvicorn.Config(create_app(settings, assistant), host="127.0.0.1", port=port, log_level="warning", limit_concurrency=1000)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", assistant
    finally:
        srv.should_exit = True
        thread.join(10)
        if schema:
            drop_postgres_schema(schema)


def test_concurrent_formal_requests_all_ticketed(server: tuple[str, object]) -> None:
    base, assistant = server
    companies = ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]

    def send(i: int) -> dict:  # type: ignore[type-arg]
        body = {
            "message": f"Please delete all the personal data you hold about me. My customer number is {10000 + i}.",
            "company": companies[i % 5],
        }
        with httpx.Client(timeout=120) as client:
            resp = client.post(f"{base}/v1/chat", json=body)
            assert resp.status_code == 200, resp.text
            reply = resp.json()
            assert reply["route"] == "desk", reply["answer"][:80]
            created = client.post(f"{base}/v1/requests", json=submission(reply))
        assert created.status_code == 201, created.text
        return created.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=32) as pool:
        replies = list(pool.map(send, range(N)))
    refs = [r["reference"] for r in replies]
    assert len(refs) == N and len(set(refs)) == N
    stored, total = assistant.desk.list(limit=1000)  # type: ignore[attr-defined]
    assert total == N and {t.reference for t in stored} == set(refs)
