"""Retention: delete chat transcripts and closed desk tickets once they are past their time.

- A session idle for `transcript_days` (no turn since) is deleted with all its turns; in a
  session still in use, single turns older than `transcript_days` are deleted too.
- A ticket that was closed (completed, rejected or withdrawn) more than `ticket_days` ago is
  deleted with its audit trail. A closed ticket's status never changes again, so its
  `updated_at` is the moment it was closed. Open tickets are never deleted.
- Request drafts past their expiry are deleted (the customer's message they held with them), and
  a deleted ticket's messages go with it.
- Rate-limit windows older than a minute are deleted as well.

`privacy-assistant purge` runs this; schedule it daily (cron, a systemd timer)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.storage.db import (
    ChatSession,
    ChatTurn,
    DraftRow,
    RateLimitRow,
    TicketEvent,
    TicketMessageRow,
    TicketRow,
    delete_expired_drafts,
    utcnow,
)
from assistant.vocabulary import CLOSED_STATUSES


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows were (or, in a dry run, would be) deleted."""

    sessions: int
    turns: int
    tickets: int
    ticket_events: int
    rate_limit_windows: int
    expired_drafts: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return asdict(self)


def _count(db: Session, query: Select[Any]) -> int:
    return int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)


def purge(
    engine: Engine,
    transcript_days: int,
    ticket_days: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeCounts:
    """Delete what is past retention in one transaction (or only count it when `dry_run`)."""
    now = now or utcnow()
    transcript_cutoff = now - timedelta(days=transcript_days)
    ticket_cutoff = now - timedelta(days=ticket_days)
    old_window = int(time.time() // 60) - 1
    sessions = sessionmaker(engine)
    with sessions.begin() as db:
        expired_sessions = select(ChatSession.id).where(ChatSession.updated_at < transcript_cutoff)
        expired_turns = select(ChatTurn.id).where((ChatTurn.session_id.in_(expired_sessions)) | (ChatTurn.created_at < transcript_cutoff))
        expired_tickets = select(TicketRow.number).where(TicketRow.status.in_(CLOSED_STATUSES), TicketRow.updated_at < ticket_cutoff)
        expired_events = select(TicketEvent.id).where(TicketEvent.ticket_number.in_(expired_tickets))
        old_windows = select(RateLimitRow.client).where(RateLimitRow.window_start < old_window)
        expired_drafts = select(DraftRow.id).where(DraftRow.expires_at <= now)
        counts = PurgeCounts(
            sessions=_count(db, expired_sessions),
            turns=_count(db, expired_turns),
            tickets=_count(db, expired_tickets),
            ticket_events=_count(db, expired_events),
            rate_limit_windows=_count(db, old_windows),
            expired_drafts=_count(db, expired_drafts),
        )
        if dry_run:
            return counts
        # Children first, so it works with or without ON DELETE CASCADE being enforced.
        db.execute(
            delete(ChatTurn).where(ChatTurn.session_id.in_(expired_sessions) | (ChatTurn.created_at < transcript_cutoff)),
            execution_options={"synchronize_session": False},
        )
        db.execute(
            delete(ChatSession).where(ChatSession.updated_at < transcript_cutoff),
            execution_options={"synchronize_session": False},
        )
        db.execute(
            delete(TicketEvent).where(TicketEvent.ticket_number.in_(expired_tickets)),
            execution_options={"synchronize_session": False},
        )
        db.execute(
            delete(TicketMessageRow).where(TicketMessageRow.ticket_number.in_(expired_tickets)),
            execution_options={"synchronize_session": False},
        )
        db.execute(
            delete(TicketRow).where(TicketRow.status.in_(CLOSED_STATUSES), TicketRow.updated_at < ticket_cutoff),
            execution_options={"synchronize_session": False},
        )
        db.execute(delete(RateLimitRow).where(RateLimitRow.window_start < old_window))
        delete_expired_drafts(db, now)
    return counts
