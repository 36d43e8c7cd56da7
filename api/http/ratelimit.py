"""A fixed-window request counter in the SQL database, shared by every worker process.

Each request to a limited endpoint runs one statement,

    INSERT INTO rate_limits (client, window_start, count) VALUES (:c, :minute, 1)
    ON CONFLICT (client, window_start) DO UPDATE SET count = rate_limits.count + 1
    RETURNING count

which is atomic on SQLite (under the write lock) and on PostgreSQL (row lock on the conflict),
so N uvicorn workers — or N hosts on one PostgreSQL — see one counter per client per minute.
Fixed windows let a client make up to 2x the limit across a window boundary; that is the
usual trade for one row and one statement per request. Old windows are deleted as time
moves on. The client address is stored only as a truncated SHA-256.

If the database cannot be reached, each worker counts in memory instead (a warning is logged),
and stops asking the database for a few seconds, so an outage never adds latency per request.
The limit then holds per worker rather than across them: N workers let up to N times the limit
through, which still bounds a client hammering ticket writes and status look-ups."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy import insert as core_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from assistant.storage.db import RateLimitRow

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
BACKOFF_SECONDS = 10.0


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one hit: allowed or not, the count so far, and when the window ends."""

    allowed: bool
    count: int
    limit: int
    retry_after: int


def _now() -> float:
    """Wall-clock seconds (a seam for tests)."""
    return time.time()


def client_key(address: str) -> str:
    """What is stored for a client: a truncated SHA-256 of its address."""
    return hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()[:32]


def _decision_times(now: float) -> tuple[int, int]:
    window = int(now // WINDOW_SECONDS)
    return window, max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


class MemoryRateCounter:
    """Counts hits per client per one-minute window in this process: the fallback during an outage."""

    MAX_CLIENTS = 100_000  # past this many clients in one window, the newcomers share one count

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, address: str, now: float | None = None) -> RateDecision:
        """Count one request from `address`; `allowed` is False once the limit is passed."""
        window, retry_after = _decision_times(_now() if now is None else now)
        if self.limit <= 0:
            return RateDecision(True, 0, self.limit, retry_after)
        key = client_key(address)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            if key not in self._counts and len(self._counts) >= self.MAX_CLIENTS:
                key = "overflow"  # bounded memory, even under a flood of new addresses
            count = self._counts[key] = self._counts.get(key, 0) + 1
        return RateDecision(count <= self.limit, count, self.limit, retry_after)


class SqlRateCounter:
    """Counts hits per client per one-minute window in the `rate_limits` table."""

    def __init__(self, engine: Engine, limit: int, fallback: MemoryRateCounter | None = None) -> None:
        self._engine = engine
        self.limit = limit
        self._fallback = fallback or MemoryRateCounter(limit)
        self._lock = threading.Lock()
        self._pruned_window = -1
        self._skip_until = 0.0

    def hit(self, address: str, now: float | None = None) -> RateDecision:
        """Count one request from `address`; `allowed` is False once the limit is passed."""
        now = _now() if now is None else now
        window, retry_after = _decision_times(now)
        if self.limit <= 0:
            return RateDecision(True, 0, self.limit, retry_after)
        if time.monotonic() < self._skip_until:
            return self._fallback.hit(address, now)
        try:
            count = self._increment(client_key(address), window)
            self._prune(window)
        except SQLAlchemyError as exc:
            self._skip_until = time.monotonic() + BACKOFF_SECONDS
            log.warning(
                "rate limiter database unavailable (%s); counting in this worker's memory for %.0fs",
                type(exc).__name__,
                BACKOFF_SECONDS,
            )
            return self._fallback.hit(address, now)
        return RateDecision(count <= self.limit, count, self.limit, retry_after)

    def peek(self, address: str, now: float | None = None) -> RateDecision:
        """The count so far this window, without adding to it; `allowed` is False once `limit` is reached."""
        now = _now() if now is None else now
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        if self.limit <= 0 or time.monotonic() < self._skip_until:
            return RateDecision(True, 0, self.limit, retry_after)
        query = select(RateLimitRow.count).where(RateLimitRow.client == client_key(address), RateLimitRow.window_start == window)
        try:
            with self._engine.connect() as conn:
                count = int(conn.execute(query).scalar() or 0)
        except SQLAlchemyError as exc:
            self._skip_until = time.monotonic() + BACKOFF_SECONDS
            log.warning("rate limiter unavailable (%s); allowing requests for %.0fs", type(exc).__name__, BACKOFF_SECONDS)
            return RateDecision(True, 0, self.limit, retry_after)
        return RateDecision(count < self.limit, count, self.limit, retry_after)

    def _increment(self, key: str, window: int) -> int:
        dialect = self._engine.dialect.name
        with self._engine.begin() as conn:
            if dialect in ("sqlite", "postgresql"):
                if dialect == "sqlite":
                    from sqlalchemy.dialects.sqlite import insert
                else:
                    from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
                upsert = (
                    insert(RateLimitRow)
                    .values(client=key, window_start=window, count=1)
                    .on_conflict_do_update(
                        index_elements=[RateLimitRow.client, RateLimitRow.window_start],
                        set_={"count": RateLimitRow.count + 1},
                    )
                    .returning(RateLimitRow.count)
                )
                return int(conn.execute(upsert).scalar_one())
            # Other databases: update, else insert; a lost insert race retries the update.
            for _ in range(3):
                row = conn.execute(
                    update(RateLimitRow)
                    .where(RateLimitRow.client == key, RateLimitRow.window_start == window)
                    .values(count=RateLimitRow.count + 1)
                )
                if row.rowcount:
                    return int(
                        conn.execute(
                            select(RateLimitRow.count).where(RateLimitRow.client == key, RateLimitRow.window_start == window)
                        ).scalar_one()
                    )
                try:
                    with conn.begin_nested():
                        conn.execute(core_insert(RateLimitRow).values(client=key, window_start=window, count=1))
                    return 1
                except IntegrityError:
                    continue
            raise RuntimeError("rate counter could not be updated")  # pragma: no cover

    def _prune(self, window: int) -> None:
        with self._lock:
            if self._pruned_window == window:
                return
            self._pruned_window = window
        with self._engine.begin() as conn:
            conn.execute(delete(RateLimitRow).where(RateLimitRow.window_start < window - 1))


@dataclass(frozen=True)
class RateCounters:
    """The API's per-client counters: public requests, and failed staff sign-ins (None: not counted)."""

    requests: SqlRateCounter | MemoryRateCounter
    staff_failures: SqlRateCounter | None


def rate_counters(engine: Engine | None, requests_per_minute: int, staff_failures_per_minute: int) -> RateCounters:
    """Both counters on `engine` (the factory's short-wait engine, shared by every worker through the
    database); without one, requests are counted in this worker's memory and failures not at all."""
    memory = MemoryRateCounter(requests_per_minute)  # also the database counter's fallback during an outage
    if engine is None:
        return RateCounters(memory, None)
    return RateCounters(SqlRateCounter(engine, requests_per_minute, memory), SqlRateCounter(engine, staff_failures_per_minute))
