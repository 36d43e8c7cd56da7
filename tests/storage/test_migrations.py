"""Migrations over data written before them: 0007 gives the audit-trail entries the library wrote their note
codes, and only those (SQLite, and PostgreSQL when PA_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from assistant.desk.tickets import SqlDeskQueue
from assistant.storage.db import MIGRATIONS_DIR, upgrade_database
from tests.conftest import database_engine

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no tables yet: SQLite, and PostgreSQL (a schema of its own) when PA_TEST_POSTGRES_URL is set."""
    with database_engine(request.param, tmp_path, migrate=False) as engine:
        yield engine


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """`upgrade_database`, to (or back to) one revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


# The entries of one ticket as 0006's code wrote them: (from_status, to_status, actor, note).
OLD_EVENTS = [
    (None, "received", "customer:chat", "request received"),
    ("received", "received", "staff:alice", "viewed"),
    ("received", "received", "staff:alice", "message to the customer"),
    ("received", "received", "customer", "message from the customer"),
    # Staff's own words that happen to read like a fixed note: a status change, so no code.
    ("received", "in_progress", "staff:alice", "viewed"),
    ("in_progress", "completed", "staff:alice", "message to the customer"),
    ("completed", "completed", "staff:bob", "viewed"),
]


def _write_old_ticket(engine: Engine) -> str:
    meta = sa.MetaData()
    tickets = sa.Table("desk_tickets", meta, autoload_with=engine)
    events = sa.Table("desk_ticket_events", meta, autoload_with=engine)
    assert "note_code" not in events.c  # written as 0006 left the table
    with engine.begin() as conn:
        inserted = conn.execute(
            tickets.insert().values(
                reference="PRQ-000001",
                company="upward",
                policy_version="v1",
                request_types=["deletion"],
                proxy=False,
                channel="chat",
                status="completed",
                message="Please delete my data",
                normalized="x",
                token_hash="y",
                created_at=NOW,
                updated_at=NOW,
                due_at=NOW + timedelta(days=14),
            )
        ).inserted_primary_key
        assert inserted is not None
        number = inserted[0]
        for i, (a, b, actor, note) in enumerate(OLD_EVENTS):
            conn.execute(
                events.insert().values(
                    ticket_number=number, from_status=a, to_status=b, actor=actor, note=note, created_at=NOW + timedelta(minutes=i)
                )
            )
    return "PRQ-000001"


def test_0007_gives_the_librarys_old_notes_their_codes_and_staff_words_none(empty_engine: Engine) -> None:
    migrate(empty_engine, "0006")
    ref = _write_old_ticket(empty_engine)
    upgrade_database(empty_engine)  # what `privacy-assistant db upgrade` runs
    events = SqlDeskQueue(empty_engine).get(ref).events
    assert [(e.from_status, e.to_status, e.actor, e.note) for e in events] == OLD_EVENTS, "the stored notes are kept as written"
    assert [e.note_code for e in events] == [
        "request_received",
        "viewed",
        "message_to_customer",
        "message_from_customer",
        None,
        None,
        "viewed",
    ]
    assert all(e.note_params == {} for e in events)


def test_0007_downgrades_and_upgrades_again(empty_engine: Engine) -> None:
    migrate(empty_engine, "0006")
    ref = _write_old_ticket(empty_engine)
    upgrade_database(empty_engine)
    migrate(empty_engine, "0006", down=True)
    columns = {c["name"] for c in sa.inspect(empty_engine).get_columns("desk_ticket_events")}
    assert "note_code" not in columns and "note_params" not in columns
    upgrade_database(empty_engine)
    assert [e.note_code for e in SqlDeskQueue(empty_engine).get(ref).events][:2] == ["request_received", "viewed"]
