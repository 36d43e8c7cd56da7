"""Retention: `purge` deletes idle transcripts and long-closed tickets (with their events), nothing else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.settings import Settings
from assistant.storage.db import ChatSession, ChatTurn, TicketEvent, TicketRow, make_engine, upgrade_database, utcnow
from assistant.storage.retention import purge
from privacy_assistant.cli import main


def _ticket(db: Session, ref: str, status: str, age_days: int, events: int) -> None:
    when = utcnow() - timedelta(days=age_days)
    row = TicketRow(
        reference=ref,
        company="upward",
        policy_version="v1",
        request_types=["deletion"],
        proxy=False,
        channel="api",
        status=status,
        message=f"delete my data {ref} alice@example.com",
        normalized=ref,
        session_id=None,
        token_hash="0" * 64,
        created_at=when,
        updated_at=when,
        due_at=when + timedelta(days=14),
    )
    db.add(row)
    db.flush()
    for i in range(events):
        db.add(TicketEvent(ticket_number=row.number, from_status=None, to_status=status, actor="t", note=str(i), created_at=when))


def _seed(engine: Engine) -> None:
    now = utcnow()
    old = now - timedelta(days=40)
    with Session(engine) as db, db.begin():
        db.add(ChatSession(id="s-old", company="upward", created_at=old, updated_at=old))
        db.add(ChatSession(id="s-live", company="upward", created_at=old, updated_at=now))
        db.flush()
        for sid, when in (("s-old", old), ("s-old", old), ("s-live", old), ("s-live", now)):
            db.add(ChatTurn(session_id=sid, user_text="q", reply_text="a", route="answer", company="upward", created_at=when))
        _ticket(db, "PRQ-OLD-CLOSED", "completed", 400, 3)
        _ticket(db, "PRQ-NEW-CLOSED", "rejected", 10, 2)
        _ticket(db, "PRQ-OLD-OPEN", "received", 500, 1)


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as db:
        return {
            "sessions": db.scalar(select(func.count()).select_from(ChatSession)) or 0,
            "turns": db.scalar(select(func.count()).select_from(ChatTurn)) or 0,
            "tickets": db.scalar(select(func.count()).select_from(TicketRow)) or 0,
            "events": db.scalar(select(func.count()).select_from(TicketEvent)) or 0,
        }


def test_purge_dry_run_then_real(db_settings: Settings) -> None:
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    _seed(engine)
    before = _counts(engine)
    assert before == {"sessions": 2, "turns": 4, "tickets": 3, "events": 6}
    dry = purge(engine, transcript_days=30, ticket_days=365, dry_run=True)
    assert (dry.sessions, dry.turns, dry.tickets, dry.ticket_events) == (1, 3, 1, 3)
    assert _counts(engine) == before
    done = purge(engine, transcript_days=30, ticket_days=365)
    assert done == dry
    assert _counts(engine) == {"sessions": 1, "turns": 1, "tickets": 2, "events": 3}
    with Session(engine) as db:
        assert sorted(db.scalars(select(TicketRow.reference)).all()) == ["PRQ-NEW-CLOSED", "PRQ-OLD-OPEN"]
        assert db.scalars(select(ChatSession.id)).all() == ["s-live"]
    again = purge(engine, transcript_days=30, ticket_days=365)
    assert (again.sessions, again.turns, again.tickets, again.ticket_events) == (0, 0, 0, 0)


def test_retention_settings_defaults() -> None:
    s = Settings()
    assert s.transcript_retention_days == 30 and s.ticket_retention_days == 365
    assert Settings.model_fields["transcript_retention_days"].description


def test_cli_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    _seed(engine)
    monkeypatch.setenv("PA_DATABASE_URL", url)
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would delete: 1 session(s), 3 turn(s)") and "1 closed ticket(s) with 3 event(s)" in out
    assert _counts(engine)["tickets"] == 3
    monkeypatch.setenv("PA_TICKET_RETENTION_DAYS", "5")
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("deleted: 1 session(s), 3 turn(s)") and "2 closed ticket(s) with 5 event(s)" in out
    assert _counts(engine) == {"sessions": 1, "turns": 1, "tickets": 1, "events": 1}


def test_purge_takes_expired_drafts_and_a_deleted_tickets_messages(db_settings: Settings) -> None:
    from assistant.storage.db import DraftRow, TicketMessageRow

    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    now = utcnow()
    with Session(engine) as db, db.begin():
        _ticket(db, "PRQ-OLD-CLOSED", "completed", 400, 1)
        _ticket(db, "PRQ-OPEN", "received", 1, 1)
        for number in db.scalars(select(TicketRow.number)).all():
            db.add(TicketMessageRow(ticket_number=number, at=now, sender="desk", text="please send ID"))
        for name, expires in (("gone", now - timedelta(minutes=1)), ("live", now + timedelta(hours=1))):
            db.add(
                DraftRow(
                    id=name,
                    session_id="s",
                    company="upward",
                    request_types=["deletion"],
                    proxy=False,
                    policy_version="v1",
                    message=f"draft {name} bob@example.com",
                    created_at=now,
                    expires_at=expires,
                )
            )
    counts = purge(engine, transcript_days=30, ticket_days=365)
    assert counts.tickets == 1 and counts.expired_drafts == 1
    with Session(engine) as db:
        assert db.scalars(select(DraftRow.id)).all() == ["live"]
        assert db.scalar(select(func.count()).select_from(TicketMessageRow)) == 1
    engine.dispose()
