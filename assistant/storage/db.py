"""Database access: the SQLAlchemy engine, the tables, and Alembic migrations."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    insert,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.errors import StorageUnavailableError

if TYPE_CHECKING:
    from assistant.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


@contextmanager
def storage_errors(store: str) -> Iterator[None]:
    """A database error inside the block raised again as StorageUnavailableError naming `store`
    (the API answers 503); the driver's error stays chained, its parameters out of the message."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageUnavailableError(f"{store} unavailable: {type(exc).__name__}") from exc


def as_utc(dt: datetime) -> datetime:
    """`dt` made timezone-aware: SQLite returns naive datetimes, and they were stored as UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso_utc(dt: datetime) -> str:
    """`dt` in ISO 8601 to the second, with its offset (a naive one read as UTC)."""
    return as_utc(dt).isoformat(timespec="seconds")


class Base(DeclarativeBase):
    """Declarative base of every table."""


class ChatSession(Base):
    """A conversation: its company and the last topic, for follow-up questions."""

    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company: Mapped[str | None] = mapped_column(String(64))
    last_query: Mapped[str | None] = mapped_column(Text)
    pending_message: Mapped[str | None] = mapped_column(Text)
    # [[doc_id, start, end], ...] of the last answer's citations: a follow-up quotes something new.
    last_cited: Mapped[list[list[str | int]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ChatTurn(Base):
    """One message and its reply, with personal data redacted."""

    __tablename__ = "chat_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    user_text: Mapped[str] = mapped_column(Text)
    reply_text: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(String(16))
    company: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TicketRow(Base):
    """A formal request or complaint routed to a company's privacy desk."""

    __tablename__ = "desk_tickets"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    company: Mapped[str] = mapped_column(String(64), index=True)
    policy_version: Mapped[str] = mapped_column(String(64))
    request_types: Mapped[list[str]] = mapped_column(JSON)
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # The draft a submission came from: unique, so concurrent submits of one draft make one ticket.
    draft_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    contact: Mapped[str | None] = mapped_column(Text)  # Fernet-encrypted JSON (assistant/desk/secrets.py)
    client_key: Mapped[str | None] = mapped_column(String(32), index=True)  # a truncated hash of the submitting client


class TicketMessageRow(Base):
    """A message between the desk and the customer on a ticket."""

    __tablename__ = "desk_ticket_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("desk_tickets.number", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sender: Mapped[str] = mapped_column("from", String(16))  # desk | customer
    text: Mapped[str] = mapped_column(Text)


class DraftRow(Base):
    """A formal request detected in chat, waiting for the customer to confirm it (and give contact details)."""

    __tablename__ = "request_drafts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    company: Mapped[str] = mapped_column(String(64))
    request_types: Mapped[list[str]] = mapped_column(JSON)
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    policy_version: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)  # the customer's original message, for the draft's life only
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    submitted_reference: Mapped[str | None] = mapped_column(String(32))


def delete_expired_drafts(db: Session, now: datetime) -> int:
    """Delete the drafts (and held originals) expired by `now`, their messages with them; how many went."""
    result = db.execute(delete(DraftRow).where(DraftRow.expires_at <= now), execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


class TicketEvent(Base):
    """The audit trail: every status change (and staff read, and message) of a ticket."""

    __tablename__ = "desk_ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("desk_tickets.number", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    # A note the library wrote: its code (vocabulary.AUDIT_NOTES) and the values its wording takes, so a client
    # words it in its own language; None for staff's own words (`note` is kept in English either way).
    note_code: Mapped[str | None] = mapped_column(String(64))
    note_params: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RateLimitRow(Base):
    """One client's request count in one fixed one-minute window (shared by every worker)."""

    __tablename__ = "rate_limits"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)  # Unix minute
    count: Mapped[int] = mapped_column(Integer, default=0)


class StaffKeyRow(Base):
    """A staff API key: only its SHA-256 is stored, with a short prefix to name it by."""

    __tablename__ = "staff_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    companies: Mapped[Any] = mapped_column(JSON)  # a list of company ids, or "*" for all
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(
    url: str,
    busy_timeout_ms: int = 5000,
    schema: str | None = None,
    *,
    create: bool = True,
    connect_timeout_s: float = 5,
    statement_timeout_ms: int | None = None,
    hold_timeout_s: float | None = None,
) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and foreign keys; Postgres an optional schema and timeouts.

    SQLite files are opened read-write only (`create` also allows making a missing file, and its
    folder, on the first connect: building an engine touches nothing): SQLite
    itself silently falls back to read-only when the file cannot be opened for writing, so that
    is checked first and refused. A storage error on SQLite drops every pooled connection, so the
    engine recovers by itself once the fault is gone. On PostgreSQL, `statement_timeout_ms` is the
    server-side statement (and idle-in-transaction) timeout, and `hold_timeout_s` bounds how long a
    connection may stay checked out: past it its socket is cut, so a stalled network fails the
    request instead of hanging it, and the transaction never commits."""
    url = normalize_url(url)
    connect_args: dict[str, Any] = {}
    sqlite_path: str | None = None
    if url.startswith("sqlite"):
        sqlite_path = url.split("///", 1)[-1] if "///" in url else ""
        if sqlite_path and sqlite_path != ":memory:" and not sqlite_path.startswith("file:"):
            mode = "rwc" if create else "rw"
            url = f"sqlite:///file:{quote(sqlite_path)}?mode={mode}&uri=true"
        else:
            sqlite_path = None
        connect_args = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    elif url.startswith("postgresql"):
        options = [f"-csearch_path={schema}"] if schema else []
        if statement_timeout_ms:
            options += [f"-cstatement_timeout={int(statement_timeout_ms)}"]
            options += [f"-cidle_in_transaction_session_timeout={int(statement_timeout_ms)}"]
        if options:
            connect_args["options"] = " ".join(options)
        connect_args["connect_timeout"] = max(1, round(connect_timeout_s))
    # With a hold timeout the checkout listener pings the connection itself, under the deadline.
    watched = url.startswith("postgresql") and hold_timeout_s is not None and hold_timeout_s > 0
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not watched)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "do_connect")
        def _refuse_read_only(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
            if sqlite_path is not None:
                if create:
                    _make_folder(sqlite_path)
                _check_writable(sqlite_path)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "handle_error")
        def _drop_pool_on_storage_error(context: Any) -> None:
            # A lock held past the busy timeout is contention, not a broken file: keep the pool.
            err = context.original_exception
            if type(err) in (sqlite3.OperationalError, sqlite3.DatabaseError) and "locked" not in str(err):
                context.is_disconnect = True

    if watched:
        assert hold_timeout_s is not None
        _watch_checkouts(engine, hold_timeout_s, (statement_timeout_ms or 0) / 1000)
    return engine


def engine_from_settings(
    settings: Settings, *, busy_timeout_ms: int | None = None, create: bool = True, request_timeouts: bool = True
) -> Engine:
    """`make_engine` with the database settings; `request_timeouts` adds the PostgreSQL statement and hold
    timeouts that bound a request (off for migrations and maintenance, which may rightly take longer)."""
    return make_engine(
        settings.database_url,
        settings.busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms,
        settings.database_schema,
        create=create,
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_ms=(settings.db_statement_timeout_ms or None) if request_timeouts else None,
        hold_timeout_s=(settings.db_request_timeout_s or None) if request_timeouts else None,
    )


def _make_folder(path: str) -> None:
    """Make the folder of a SQLite file on first connect, so building an engine never fails: a folder
    that cannot be made is a storage error where the engine is used (503, memory counting, `unreachable`)."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise sqlite3.OperationalError(
            f"cannot make the database folder {Path(path).parent}: {exc.strerror or type(exc).__name__}"
        ) from exc


def _check_writable(path: str) -> None:
    """Refuse, as SQLite would for a missing file, a database file that cannot be opened for writing.

    Asked with access(2), never by opening the files: closing any descriptor of a database file
    drops every POSIX lock this process holds on it, so an open-and-close here while other
    connections are in use would silently unlock them (SQLite's own warning; seen as "file is not
    a database" under a burst of writes)."""
    for name in (path, path + "-wal", path + "-shm"):
        if not os.path.exists(name):
            continue  # made on demand (or, for the database itself, only when `create` allows)
        if not os.access(name, os.R_OK | os.W_OK):
            raise sqlite3.OperationalError(f"database file is read-only here: {name}")


class _SocketDeadlines:
    """One daemon thread that cuts the socket of a PostgreSQL connection held past its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, int, Any, dict[str, Any]]] = {}  # record id -> deadline, fd, address, info
        self._thread: threading.Thread | None = None

    def arm(self, key: int, fd: int, seconds: float, info: dict[str, Any]) -> None:
        """Cut `fd` in `seconds` unless disarmed first; `info` is marked when it is cut."""
        try:
            with socket.socket(fileno=os.dup(fd)) as sock:
                local = sock.getsockname()
        except OSError:
            return
        if not isinstance(local, tuple):  # a Unix socket: a local server does not stall in a network
            return
        with self._cond:
            self._armed[key] = (time.monotonic() + seconds, fd, local, info)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, key: int) -> None:
        """The connection is back in the pool (or gone)."""
        with self._cond:
            self._armed.pop(key, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key, (deadline, fd, local, info) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[key]
                        if _cut(fd, local):
                            info["pa_cut"] = True
                wait = min((d for d, _, _, _ in self._armed.values()), default=now + 60) - now
                self._cond.wait(timeout=max(wait, 0.01))


def _cut(fd: int, local: Any) -> bool:
    """Shut down the socket behind `fd`, if it is still the connection that was armed."""
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            if sock.getsockname() != local:  # the fd was closed and reused meanwhile
                return False
            log.warning("database connection held past its deadline: cut")
            sock.shutdown(socket.SHUT_RDWR)
            return True
    except OSError:
        return False


_DEADLINES = _SocketDeadlines()


def _watch_checkouts(engine: Engine, seconds: float, quiet_s: float) -> None:
    """Arm a deadline on every checkout (ping included), disarm it on checkin.

    A cut during COMMIT leaves the COMMIT possibly on its way to the server. The server aborts a
    transaction idle for `quiet_s` (idle_in_transaction_session_timeout), so the caller is held
    until that long after the connection's last statement: a COMMIT arriving later finds the
    transaction gone, and the 503 the caller then gets is true for good."""
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkout")
    def _arm(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        record.info.pop("pa_cut", None)
        record.info.pop("pa_committing", None)
        _DEADLINES.arm(id(record), dbapi_conn.fileno(), seconds, record.info)
        try:
            dbapi_conn.execute("SELECT 1")  # pool_pre_ping's check, but under the deadline
        except Exception as exc:
            _DEADLINES.disarm(id(record))
            raise DisconnectionError(f"ping failed: {type(exc).__name__}") from exc
        record.info["pa_last_io"] = time.monotonic()

    @event.listens_for(engine, "after_cursor_execute")
    def _io(conn: Any, *_args: Any) -> None:
        conn.info["pa_last_io"] = time.monotonic()

    @event.listens_for(engine, "commit")
    def _committing(conn: Any) -> None:
        conn.info["pa_committing"] = True

    @event.listens_for(engine, "checkin")
    def _disarm(_dbapi_conn: Any, record: Any) -> None:
        _DEADLINES.disarm(id(record))

    @event.listens_for(engine, "invalidate")
    def _disarm_invalid(_dbapi_conn: Any, record: Any, _exc: Any) -> None:
        _DEADLINES.disarm(id(record))
        if record.info.pop("pa_cut", False) and record.info.pop("pa_committing", False) and quiet_s > 0:
            time.sleep(max(0.0, record.info.get("pa_last_io", 0.0) + quiet_s - time.monotonic()))


DatabaseStatus = Literal["ok", "read_only", "unreachable"]


def database_status(engine: Engine) -> DatabaseStatus:
    """Whether the database takes writes: a row written and rolled back, on a connection from the pool."""
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(insert(RateLimitRow).values(client="readiness-probe", window_start=-1, count=0))
            tx.rollback()
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", exc)).lower()
        if "read-only" in text or "readonly" in text or "read only" in text:
            return "read_only"
        if "locked" in text:
            return "ok"  # busy with other writers past the busy timeout: it does take writes
        return "unreachable"
    return "ok"


def upgrade_database(engine: Engine) -> None:
    """Apply every Alembic migration up to head."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def new_id() -> str:
    """A random 128-bit identifier, hex encoded."""
    return uuid.uuid4().hex
