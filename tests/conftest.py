"""Shared fixtures: the package's hash embedder (assistant.testing.fakes) so unit tests need
not load the model, a real-model assistant (built once per run) for `slow` tests, and
databases to test on."""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assistant.index.builds import LoadedIndex, load_index
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from assistant.storage.db import make_engine, upgrade_database
from assistant.testing.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
POSTGRES_URL = os.environ.get("PA_TEST_POSTGRES_URL")


def submission(reply: dict, email: str = "customer@example.org") -> dict:  # type: ignore[type-arg]
    """The POST /v1/requests body confirming the draft of a chat reply (JSON) with an e-mail address."""
    draft = reply["request_draft"]
    assert draft, reply
    return {"draft_id": draft["id"], "session_id": reply["session_id"], "contact": {"email": email}, "consent": True}


@pytest.fixture(scope="session")
def hash_embedder() -> Embedder:
    return HashEmbedder()


def _settings(index_dir: Path, db_url: str, **extra: object) -> Settings:
    # Rate limiting is off in tests (tests/api/test_limits.py turns it on where it is the subject).
    extra.setdefault("rate_limit_per_minute", 0)
    return Settings(corpus_dir=CORPUS, index_dir=index_dir, database_url=db_url, **extra)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def hash_index_dir(tmp_path_factory: pytest.TempPathFactory, hash_embedder: Embedder) -> Path:
    """An index of the real corpus built with the hash embedder (fast)."""
    from assistant.factory import rebuild_index

    index_dir = tmp_path_factory.mktemp("hash-index")
    rebuild_index(_settings(index_dir, "sqlite://"), hash_embedder, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def hash_index(hash_index_dir: Path) -> LoadedIndex:
    """The hash-embedded index of the real corpus, loaded (shared: nothing writes to it)."""
    return load_index(hash_index_dir)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_database(make_engine(url))
    return url


def fresh_postgres_schema(migrate: bool = True) -> tuple[str, str]:
    """A new schema in the test database (each run gets its own), migrated to the latest revision unless `migrate` is False."""
    assert POSTGRES_URL
    schema = f"pa_test_{uuid.uuid4().hex[:10]}"
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    if migrate:
        engine = make_engine(POSTGRES_URL, schema=schema)
        upgrade_database(engine)
        engine.dispose()  # left to the garbage collector, connections piled up past max_connections
    return POSTGRES_URL, schema


@contextmanager
def database_engine(kind: str, tmp_path: Path, migrate: bool = True) -> Iterator[Engine]:
    """A fresh database for one test, migrated to the latest revision unless `migrate` is False: SQLite
    in `tmp_path` (`kind` "sqlite"), or a PostgreSQL schema of its own, dropped afterwards (skipped
    when PA_TEST_POSTGRES_URL is not set)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test-engine.db'}")
        if migrate:
            upgrade_database(engine)
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PA_TEST_POSTGRES_URL not set (.ci/run sets it)")
    url, schema = fresh_postgres_schema(migrate=migrate)
    engine = make_engine(url, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


def drop_postgres_schema(schema: str) -> None:
    assert POSTGRES_URL
    # A finished test's engines keep their pooled connections: FastAPI's endpoint cache
    # (fastapi.dependencies.models._is_gen_callable_cached) keeps every app alive, and with it the
    # assistant it serves. Piled up, they met max_connections in a 60-thread test. Disposing only
    # empties a pool; an engine still in use reconnects.
    for obj in gc.get_objects():
        # type(), not isinstance(): that reads __class__, which warns on some of torch's module proxies.
        if issubclass(type(obj), Engine) and obj.dialect.name == "postgresql":
            obj.dispose()
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Pin the rate counters' clock 30 s into a minute, so a test never straddles a window boundary
    (a test that hits a limit of N twice in one wall-clock minute fails when the minute turns)."""
    from api.http import ratelimit

    now = [1_800_000_030.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_settings(request: pytest.FixtureRequest, tmp_path: Path, hash_index_dir: Path) -> Iterator[Settings]:
    """Settings pointing at a fresh database: SQLite, and PostgreSQL when PA_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade_database(make_engine(url))
        yield _settings(hash_index_dir, url)
        return
    if not POSTGRES_URL:
        pytest.skip("PA_TEST_POSTGRES_URL not set (.ci/run sets it)")
    url, schema = fresh_postgres_schema()
    try:
        yield _settings(hash_index_dir, url, database_schema=schema)
    finally:
        drop_postgres_schema(schema)


@pytest.fixture
def hash_settings(hash_index_dir: Path, sqlite_url: str) -> Settings:
    return _settings(
        hash_index_dir,
        sqlite_url,
        desk_api_keys="all-staff-key-for-tests-0001=*,hr-staff-key-for-tests-0002=highreso,up-staff-key-for-tests-0003=upward|sb-cs",
    )


@pytest.fixture
def hash_assistant(hash_settings: Settings, hash_embedder: Embedder):  # type: ignore[no-untyped-def]
    """The real facade and stores over the hash-embedded index: fast, no model."""
    from assistant.factory import build_assistant

    return build_assistant(hash_settings, hash_embedder)


MODEL_CACHE = ROOT / "index" / "models"  # the ONNX export, made once and shared by every run


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The embedder `serve` uses by default (onnxruntime over the exported model)."""
    from assistant.factory import build_embedder

    return build_embedder(Settings(model_cache_dir=MODEL_CACHE))


@pytest.fixture(scope="session")
def multilingual_embedder() -> Embedder:
    """The multilingual encoder `serve` uses for Japanese text."""
    from assistant.factory import build_multilingual_embedder

    return build_multilingual_embedder(Settings())


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Path:
    """The real index (all-MiniLM-L6-v2), built once per test run."""
    from assistant.factory import rebuild_index

    index_dir = tmp_path_factory.mktemp("real-index")
    rebuild_index(_settings(index_dir, "sqlite://"), real_embedder, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory, real_index_dir: Path) -> Settings:
    db = tmp_path_factory.mktemp("real-db") / "real.db"
    url = f"sqlite:///{db}"
    upgrade_database(make_engine(url))
    return _settings(real_index_dir, url, desk_api_keys="all-staff-key-for-tests-0001=*,hr-staff-key-for-tests-0002=highreso")


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings, real_embedder: Embedder):  # type: ignore[no-untyped-def]
    """The production configuration: real model, real index files, SQLite."""
    from assistant.factory import build_assistant

    return build_assistant(real_settings, real_embedder)
