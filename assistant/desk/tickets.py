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

from sqlalchemy import Select, func, select
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


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    """Whether a ticket in `status`, due at `due_at`, is still open past its due date at `now`."""
    return status in OPEN_STATUSES and as_utc(due_at) < now


@dataclass(frozen=True, kw_only=True)  # by name: four optional filters are easy to pass in the wrong order
class TicketFilter:
    """Which tickets a desk listing shows; the defaults show every non-evaluation ticket."""

    companies: tuple[str, ...] | None = None  # None: every company; (): none
    status: str | None = None
    request_type: str | None = None
    overdue: bool | None = None  # True: open and past due; False: the others
    include_eval: bool = False

    def apply(self, query: Select[TicketRow], now: datetime) -> Select[TicketRow]:
        """`query` narrowed by every field but `request_type` (that is `has_type`)."""
        if not self.include_eval:
            query = query.where(TicketRow.channel != EVAL_CHANNEL)
        if self.companies is not None:
            query = query.where(TicketRow.company.in_(list(self.companies)))
        if self.status:
            query = query.where(TicketRow.status == self.status)
        if self.overdue is True:
            query = query.where(TicketRow.status.in_(OPEN_STATUSES), TicketRow.due_at < now)
        elif self.overdue is False:
            query = query.where((TicketRow.due_at >= now) | TicketRow.status.not_in(OPEN_STATUSES))
        return query

    def has_type(self, request_types: Sequence[str]) -> bool:
        """Whether a ticket of `request_types` passes the request-type filter."""
        # Not in `apply`: JSON containment differs per database, and the type list is short.
        return not self.request_type or self.request_type in request_types

    def matches(self, *, company: str, channel: str, status: str, request_types: Sequence[str], due_at: datetime, now: datetime) -> bool:
        """Whether a ticket with these fields passes the filter at `now` (the in-memory twin of `apply`)."""
        return (
            (self.include_eval or channel != EVAL_CHANNEL)
            and (self.companies is None or company in self.companies)
            and (not self.status or status == self.status)
            and self.has_type(request_types)
            and (self.overdue is None or self.overdue == is_overdue(status, due_at, now))
        )


# A shared default argument (the filter is frozen, so sharing it is safe).
DEFAULT_FILTER = TicketFilter()


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

    def list(self, where: TicketFilter = DEFAULT_FILTER, offset: int = 0, limit: int = 50) -> tuple[list[TicketDetail], int]:
        """Tickets matching `where`, newest first, and their total count."""
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
            overdue=is_overdue(row.status, row.due_at, self._clock()),
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

    def list(self, where: TicketFilter = DEFAULT_FILTER, offset: int = 0, limit: int = 50) -> tuple[list[TicketDetail], int]:
        """Tickets matching `where`, newest first, and their total count."""
        query = where.apply(select(TicketRow), self._clock())
        with self._sessions() as db:
            if where.request_type:
                rows = [r for r in db.scalars(query.order_by(TicketRow.number.desc())).all() if where.has_type(r.request_types)]
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
