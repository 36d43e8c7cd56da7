"""Desk tickets: formal requests and complaints routed to a company's privacy desk."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.domain import Ticket
from assistant.errors import AssistantError
from assistant.storage.db import TicketEvent, TicketRow, as_utc, iso_utc, storage_errors, utcnow
from assistant.vocabulary import INITIAL_STATUS, OPEN_STATUSES, STATUSES, TRANSITIONS

DUPLICATE_WINDOW = timedelta(minutes=10)
REFERENCE_PREFIX = "PRQ-"


class TicketNotFoundError(AssistantError):
    """No ticket with that reference (or not visible to the caller)."""


class InvalidTransitionError(AssistantError):
    """A status change the lifecycle does not allow."""


@dataclass(frozen=True)
class TicketEventView:
    """One entry of a ticket's audit trail."""

    from_status: str | None
    to_status: str
    actor: str
    note: str
    created_at: str


@dataclass(frozen=True)
class TicketDetail:
    """Everything staff see of a ticket."""

    reference: str
    company: str
    policy_version: str
    request_types: tuple[str, ...]
    proxy: bool
    channel: str
    status: str
    message: str
    created_at: str
    updated_at: str
    due_at: str
    overdue: bool
    events: tuple[TicketEventView, ...] = ()


# The channel of tickets opened by `privacy-assistant eval --api --allow-tickets`: the queue hides them by default.
EVAL_CHANNEL = "eval"


@dataclass(frozen=True)
class NewTicket:
    """What is needed to open a ticket."""

    company: str
    policy_version: str
    request_types: tuple[str, ...]
    proxy: bool
    channel: str
    message: str
    session_id: str | None
    due_days: int


class DeskQueue(Protocol):
    """Stores desk tickets and their lifecycle."""

    def open(self, new: NewTicket) -> Ticket:
        """Open a ticket, or return the same request's open ticket from the last ten minutes."""
        ...

    def lookup(self, reference: str, token: str) -> Ticket:
        """A customer's status check; TicketNotFoundError on a wrong reference or token."""
        ...

    def get(self, reference: str, companies: Sequence[str] | None = None, actor: str | None = None) -> TicketDetail:
        """One ticket with its audit trail (reads by staff are audited when `actor` is given)."""
        ...

    def list(
        self,
        companies: Sequence[str] | None = None,
        status: str | None = None,
        request_type: str | None = None,
        overdue: bool | None = None,
        offset: int = 0,
        limit: int = 50,
        include_eval: bool = False,
    ) -> tuple[list[TicketDetail], int]:
        """Tickets matching the filters, newest first, and the total count (evaluation tickets only with `include_eval`)."""
        ...

    def set_status(self, reference: str, status: str, actor: str, note: str, companies: Sequence[str] | None = None) -> TicketDetail:
        """Move a ticket along its lifecycle, recording who did it and why."""
        ...


def check_new_status(status: str, note: str) -> None:
    """InvalidTransitionError for a status that does not exist, or a rejection without a reason."""
    if status not in STATUSES:
        raise InvalidTransitionError(f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
    if status == "rejected" and not note.strip():
        raise InvalidTransitionError("a rejection needs a reason in the note")


def check_transition(reference: str, current: str, status: str) -> None:
    """InvalidTransitionError when the lifecycle does not lead from `current` to `status`."""
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (the ticket is closed)"
        raise InvalidTransitionError(f"cannot move {reference} from {current} to {status}; allowed: {allowed}")


def normalize_request(text: str) -> str:
    """A hash of the request text with case, spacing and punctuation folded."""
    words = (w.strip(".-+") for w in re.findall(r"[\w@.+\-]+", text.lower()))
    folded = " ".join(w for w in words if w)
    return hashlib.sha256(folded.encode()).hexdigest()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlDeskQueue:
    """Desk tickets in the SQL database; references come from the autoincrement key."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock  # the duplicate window and due dates read it (contract tests move it)

    def open(self, new: NewTicket) -> Ticket:
        """Open a ticket in one transaction, or return the recent duplicate."""
        normalized = normalize_request(new.message)
        now = self._clock()
        with storage_errors("desk queue"), self._sessions.begin() as db:
            if new.session_id:
                dup = db.scalars(
                    select(TicketRow)
                    .where(
                        TicketRow.session_id == new.session_id,
                        TicketRow.normalized == normalized,
                        TicketRow.company == new.company,
                        TicketRow.created_at >= now - DUPLICATE_WINDOW,
                    )
                    .order_by(TicketRow.number.desc())
                    .limit(1)
                ).first()
                if dup is not None:
                    return self._view(dup, token=None, duplicate=True)
            token = secrets.token_urlsafe(16)
            row = TicketRow(
                # A placeholder unique per transaction; replaced by the number below.
                reference=f"tmp-{secrets.token_hex(8)}",
                company=new.company,
                policy_version=new.policy_version,
                request_types=list(new.request_types),
                proxy=new.proxy,
                channel=new.channel,
                status=INITIAL_STATUS,
                message=new.message,
                normalized=normalized,
                session_id=new.session_id,
                token_hash=_hash_token(token),
                created_at=now,
                updated_at=now,
                due_at=now + timedelta(days=new.due_days),
            )
            db.add(row)
            db.flush()  # the database assigns `number`: unique under concurrency
            row.reference = f"{REFERENCE_PREFIX}{row.number:06d}"
            db.add(
                TicketEvent(
                    ticket_number=row.number,
                    from_status=None,
                    to_status=INITIAL_STATUS,
                    actor=f"customer:{new.channel}",
                    note="request received",
                    created_at=now,
                )
            )
            return self._view(row, token=token)

    @staticmethod
    def _view(row: TicketRow, token: str | None, duplicate: bool = False) -> Ticket:
        return Ticket(
            id=row.reference,
            status=row.status,
            request_types=tuple(row.request_types),
            company=row.company,
            proxy=row.proxy,
            created_at=iso_utc(row.created_at),
            due_at=iso_utc(row.due_at),
            lookup_token=token,
            duplicate=duplicate,
        )

    def lookup(self, reference: str, token: str) -> Ticket:
        """A customer's status check by reference and lookup token."""
        with self._sessions() as db:
            row = db.scalars(select(TicketRow).where(TicketRow.reference == reference)).first()
        if row is None or not hmac.compare_digest(row.token_hash, _hash_token(token)):
            raise TicketNotFoundError(reference)
        return self._view(row, token=None)

    def _detail(self, row: TicketRow, events: Sequence[TicketEvent] = ()) -> TicketDetail:
        return TicketDetail(
            reference=row.reference,
            company=row.company,
            policy_version=row.policy_version,
            request_types=tuple(row.request_types),
            proxy=row.proxy,
            channel=row.channel,
            status=row.status,
            message=row.message,
            created_at=iso_utc(row.created_at),
            updated_at=iso_utc(row.updated_at),
            due_at=iso_utc(row.due_at),
            overdue=row.status in OPEN_STATUSES and as_utc(row.due_at) < self._clock(),
            events=tuple(TicketEventView(e.from_status, e.to_status, e.actor, e.note, iso_utc(e.created_at)) for e in events),
        )

    def get(self, reference: str, companies: Sequence[str] | None = None, actor: str | None = None) -> TicketDetail:
        """One ticket with its audit trail; a ticket outside `companies` is not found."""
        with self._sessions.begin() as db:
            row = db.scalars(select(TicketRow).where(TicketRow.reference == reference)).first()
            if row is None or (companies is not None and row.company not in companies):
                raise TicketNotFoundError(reference)
            if actor:
                db.add(
                    TicketEvent(
                        ticket_number=row.number,
                        from_status=row.status,
                        to_status=row.status,
                        actor=actor,
                        note="viewed",
                        created_at=self._clock(),
                    )
                )
                db.flush()
            events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_number == row.number).order_by(TicketEvent.id)).all()
            return self._detail(row, events)

    def list(
        self,
        companies: Sequence[str] | None = None,
        status: str | None = None,
        request_type: str | None = None,
        overdue: bool | None = None,
        offset: int = 0,
        limit: int = 50,
        include_eval: bool = False,
    ) -> tuple[list[TicketDetail], int]:
        """Tickets matching the filters, newest first, and the total count (evaluation tickets only with `include_eval`)."""
        query = select(TicketRow)
        if not include_eval:
            query = query.where(TicketRow.channel != EVAL_CHANNEL)
        if companies is not None:
            query = query.where(TicketRow.company.in_(list(companies)))
        if status:
            query = query.where(TicketRow.status == status)
        now = self._clock()
        if overdue is True:
            query = query.where(TicketRow.status.in_(OPEN_STATUSES), TicketRow.due_at < now)
        elif overdue is False:
            query = query.where((TicketRow.due_at >= now) | TicketRow.status.not_in(OPEN_STATUSES))
        with self._sessions() as db:
            if request_type:
                # JSON containment differs per database; the type list is short, so filter here.
                rows = [r for r in db.scalars(query.order_by(TicketRow.number.desc())).all() if request_type in r.request_types]
                total = len(rows)
                rows = rows[offset : offset + limit]
            else:
                total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
                rows = list(db.scalars(query.order_by(TicketRow.number.desc()).offset(offset).limit(limit)).all())
            return [self._detail(r) for r in rows], int(total)

    def set_status(self, reference: str, status: str, actor: str, note: str, companies: Sequence[str] | None = None) -> TicketDetail:
        """Move a ticket along its lifecycle; illegal moves raise InvalidTransitionError."""
        check_new_status(status, note)
        with self._sessions.begin() as db:
            row = db.scalars(select(TicketRow).where(TicketRow.reference == reference).with_for_update()).first()
            if row is None or (companies is not None and row.company not in companies):
                raise TicketNotFoundError(reference)
            check_transition(reference, row.status, status)
            now = self._clock()
            db.add(TicketEvent(ticket_number=row.number, from_status=row.status, to_status=status, actor=actor, note=note, created_at=now))
            row.status = status
            row.updated_at = now
            db.flush()
            events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_number == row.number).order_by(TicketEvent.id)).all()
            return self._detail(row, events)
