"""Conversation state kept server-side, so follow-up questions keep their context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import sessionmaker

from assistant.storage.db import ChatSession, ChatTurn, new_id, storage_errors, utcnow
from assistant.understand.redact import redact

_SESSIONS = cast(Table, ChatSession.__table__)
_TURNS = cast(Table, ChatTurn.__table__)


@dataclass(frozen=True)
class SessionState:
    """What the assistant remembers of a conversation."""

    id: str
    company: str | None = None
    last_query: str | None = None
    pending_message: str | None = None
    is_new: bool = True
    last_cited: tuple[tuple[str, int, int], ...] = ()  # (doc_id, start, end) the last answer quoted


@dataclass(frozen=True)
class TurnRecord:
    """One exchange to store (text is redacted before it is written)."""

    user_text: str
    reply_text: str
    route: str
    company: str | None
    last_query: str | None
    pending_message: str | None
    cited: tuple[tuple[str, int, int], ...] = ()


class SessionStore(Protocol):
    """Loads and saves conversation state."""

    def load(self, session_id: str | None) -> SessionState:
        """The state of `session_id`, or a fresh session under a new id if unknown."""
        ...

    def record(self, state: SessionState, turn: TurnRecord) -> None:
        """Store a turn and the updated conversation state."""
        ...

    def delete(self, session_id: str) -> bool:
        """Forget a session and its transcript; False if it did not exist."""
        ...

    def transcript(self, session_id: str) -> list[dict[str, str]]:
        """The stored (redacted) turns of a session, oldest first."""
        ...


class SqlSessionStore:
    """Sessions in the SQL database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, max_turns: int = 50) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._max_turns = max_turns

    def load(self, session_id: str | None) -> SessionState:
        """The state of `session_id`, or a fresh session under a new id if unknown."""
        if session_id:
            with storage_errors("session store"), self._sessions() as db:
                row = db.get(ChatSession, session_id)
            if row is not None:
                cited = tuple((str(d), int(s), int(e)) for d, s, e in row.last_cited or ())
                return SessionState(row.id, row.company, row.last_query, row.pending_message, False, cited)
        return SessionState(new_id())

    def record(self, state: SessionState, turn: TurnRecord) -> None:
        """Store a turn (redacted) and the updated conversation state."""
        now = utcnow()
        values = {
            "company": turn.company,
            "last_query": redact(turn.last_query) if turn.last_query else None,
            # The caller passes the pending message redacted (it may become a ticket).
            "pending_message": turn.pending_message,
            "last_cited": [list(c) for c in turn.cited] or None,
            "updated_at": now,
        }
        # Core statements on the tables, not the ORM: this runs on every message, and is two
        # or three plain statements in one transaction (the ORM path cost ~2 ms more each).
        with storage_errors("session store"), self._engine.begin() as conn:
            updated = 0
            if not state.is_new:
                updated = conn.execute(update(_SESSIONS).where(_SESSIONS.c.id == state.id).values(**values)).rowcount
            if not updated:
                conn.execute(insert(_SESSIONS).values(id=state.id, created_at=now, **values))
            conn.execute(
                insert(_TURNS).values(
                    session_id=state.id,
                    user_text=redact(turn.user_text),
                    reply_text=redact(turn.reply_text),
                    route=turn.route,
                    company=turn.company,
                    created_at=now,
                )
            )
            if updated:  # a new session has one turn: nothing to trim
                self._trim(conn, state.id)

    def _trim(self, conn: Connection, session_id: str) -> None:
        ids = conn.scalars(
            select(ChatTurn.id).where(ChatTurn.session_id == session_id).order_by(ChatTurn.id.desc()).offset(self._max_turns)
        ).all()
        if ids:
            conn.execute(delete(ChatTurn).where(ChatTurn.id.in_(ids)))

    def delete(self, session_id: str) -> bool:
        """Forget a session and its transcript."""
        with storage_errors("session store"), self._sessions.begin() as db:
            db.execute(delete(ChatTurn).where(ChatTurn.session_id == session_id))
            return db.execute(delete(ChatSession).where(ChatSession.id == session_id)).rowcount > 0  # type: ignore[attr-defined]

    def transcript(self, session_id: str) -> list[dict[str, str]]:
        """The stored (redacted) turns of a session, oldest first."""
        with self._sessions() as db:
            rows = db.scalars(select(ChatTurn).where(ChatTurn.session_id == session_id).order_by(ChatTurn.id)).all()
            return [{"user": r.user_text, "assistant": r.reply_text, "route": r.route} for r in rows]
