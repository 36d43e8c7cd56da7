"""The database module's small helpers: times read back from SQLite, storage errors, and the SQLite busy timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from assistant.errors import StorageUnavailableError
from assistant.storage.db import as_utc, iso_utc, make_engine, storage_errors


def test_a_naive_time_is_read_as_utc_and_an_aware_one_kept() -> None:
    naive = datetime(2024, 5, 1, 9, 30, 15, 999_999)
    assert as_utc(naive) == naive.replace(tzinfo=UTC)
    tokyo = datetime(2024, 5, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    assert as_utc(tokyo) is tokyo
    assert iso_utc(naive) == "2024-05-01T09:30:15+00:00"  # to the second, with its offset
    assert iso_utc(tokyo) == "2024-05-01T18:30:00+09:00"


def test_a_database_error_becomes_storage_unavailable_naming_the_store() -> None:
    driver_error = OperationalError("SELECT secret FROM t WHERE x = ?", {"x": "private"}, Exception("locked"))
    with pytest.raises(StorageUnavailableError) as caught, storage_errors("key store"):
        raise driver_error
    assert str(caught.value) == "key store unavailable: OperationalError"  # no statement, no parameters
    assert caught.value.__cause__ is driver_error


def test_other_errors_and_results_pass_through_storage_errors() -> None:
    with pytest.raises(ValueError), storage_errors("desk queue"):
        raise ValueError("not a database error")
    with storage_errors("desk queue"):
        value = 42
    assert value == 42


def test_the_migrations_make_the_tables_the_models_describe(sqlite_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from assistant.storage.db import Base, make_engine

    with make_engine(sqlite_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # staff_keys' unique key is a unique index in 0004 and a unique column in the model: the same.
    assert [d for d in diff if "staff_keys" not in str(d)] == []


def test_a_sqlite_engine_waits_for_a_lock_only_as_long_as_its_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout_ms=200)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
    finally:
        engine.dispose()
