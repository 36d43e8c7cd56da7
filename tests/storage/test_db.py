"""The database module's small helpers: times read back from SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from assistant.storage.db import as_utc, iso_utc


def test_a_naive_time_is_read_as_utc_and_an_aware_one_kept() -> None:
    naive = datetime(2024, 5, 1, 9, 30, 15, 999_999)
    assert as_utc(naive) == naive.replace(tzinfo=UTC)
    tokyo = datetime(2024, 5, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    assert as_utc(tokyo) is tokyo
    assert iso_utc(naive) == "2024-05-01T09:30:15+00:00"  # to the second, with its offset
    assert iso_utc(tokyo) == "2024-05-01T18:30:00+09:00"
