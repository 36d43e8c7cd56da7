"""Desk tickets: formal requests and complaints routed to a company's privacy desk."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.answering.messages import text as catalog_text
from assistant.desk.secrets import DeskSecrets, SecretSource, secret_source
from assistant.domain import Contact, Ticket
from assistant.errors import AssistantError, RetryLaterError
from assistant.storage.db import TicketEvent, TicketMessageRow, TicketRow, as_utc, iso_utc, storage_errors, utcnow
from assistant.vocabulary import CLOSED_STATUSES, INITIAL_STATUS, OPEN_STATUSES, STATUSES, TRANSITIONS, AuditNote

SUBMISSION_WINDOW = timedelta(hours=1)
REFERENCE_PREFIX = "PRQ-"
Sender = Literal["desk", "customer"]


class TicketNotFoundError(AssistantError):
    """No ticket with that reference (or not visible to the caller)."""


class InvalidTransitionError(AssistantError):
    """A status change the lifecycle does not allow."""


class SubmissionLimitError(RetryLaterError):
    """A client has submitted as many requests to one company this hour as it may."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__("too_many_submissions", retry_after, limit=limit)


@dataclass(frozen=True)
class TicketMessage:
    """One message on a ticket, from the desk to the customer or back."""

    at: str
    sender: Sender
    text: str


@dataclass(frozen=True)
class TicketEventView:
    """One entry of a ticket's audit trail: `note` in English as stored; for a note the library wrote, also its
    code (vocabulary.AUDIT_NOTES) and the values its wording takes. No code: staff's own words, or an entry
    written before notes had codes."""

    from_status: str | None
    to_status: str
    actor: str
    note: str
    created_at: str
    note_code: str | None = None
    note_params: dict[str, str] = field(default_factory=dict)


def library_note(code: AuditNote, **params: str) -> str:
    """The English the library stores as the note `code` (the message catalog's `audit.<code>`)."""
    return catalog_text(f"audit.{code}", "en", **params)


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
    contact: Contact | None = None  # decrypted for the one ticket a staff member opens (that view is audited)
    messages: tuple[TicketMessage, ...] = ()


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
    draft_id: str | None = field(default=None, repr=False)  # one ticket per draft: `submit` needs it
    contact: Contact | None = None
    client: str | None = field(default=None, repr=False)  # who submitted (an address): only a hash is stored


def retry_seconds(free_at: datetime, now: datetime) -> int:
    """Whole seconds from `now` until `free_at` (at least 1)."""
    return max(1, int((free_at - now).total_seconds() + 0.999))


def client_key(client: str) -> str:
    """What is stored of a submitting client: a truncated SHA-256."""
    return hashlib.sha256(client.encode("utf-8", "replace")).hexdigest()[:32]


def check_message_text(text: str) -> str:
    """The text of a desk or customer message, stripped; InvalidMessageError when empty."""
    from assistant.errors import InvalidMessageError

    stripped = text.strip()
    if not stripped:
        raise InvalidMessageError("text: a message needs some text")
    return stripped


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

    def submit(self, new: NewTicket, max_per_hour: int = 0) -> Ticket:
        """The ticket of `new.draft_id`, opened once however often (and however concurrently) it is
        submitted, with the same reference and lookup token each time; SubmissionLimitError when
        `new.client` opened `max_per_hour` tickets for the company in the last hour (0: no cap)."""
        ...

    def submitted(self, draft_id: str, session_id: str) -> Ticket | None:
        """The ticket `draft_id` of `session_id` became (with its lookup token), or None."""
        ...

    def for_session(self, session_id: str) -> tuple[Ticket, ...]:
        """The tickets `session_id` opened, newest first, without lookup tokens (a status asked in chat)."""
        ...

    def post_message(self, reference: str, sender: Sender, text: str, actor: str, companies: Sequence[str] | None = None) -> TicketMessage:
        """Add a message to a ticket (recorded in its audit trail); a ticket outside `companies` is not found."""
        ...

    def messages(self, reference: str) -> tuple[TicketMessage, ...]:
        """A ticket's messages, oldest first (callers check the customer's token with `lookup` first)."""
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

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow, secrets: DeskSecrets | SecretSource | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock  # the hourly cap and due dates read it (contract tests move it)
        # Every worker must be given the same secrets (the factory's): a process's own would
        # give other tokens and leave other workers' contacts unreadable.
        self._secrets = secret_source(secrets)

    def _insert(self, db: Session, new: NewTicket, token: str, now: datetime) -> TicketRow:
        """Add the ticket row and its first audit entry (the caller's transaction commits them)."""
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
            # Repeats were once found by this hash of the folded text; one ticket per draft does that now,
            # and the column (NOT NULL) is still filled rather than dropped by a migration.
            normalized=normalize_request(new.message),
            session_id=new.session_id,
            token_hash=_hash_token(token),
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(days=new.due_days),
            draft_id=new.draft_id,
            contact=self._secrets().seal(new.contact) if new.contact is not None else None,
            client_key=client_key(new.client) if new.client else None,
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
                note=library_note("request_received"),
                note_code="request_received",
                created_at=now,
            )
        )
        db.flush()
        return row

    def submit(self, new: NewTicket, max_per_hour: int = 0) -> Ticket:
        """The draft's ticket: inserted under the unique draft id; a conflict returns the ticket that won."""
        if not new.draft_id:
            raise ValueError("submit needs a draft_id")
        token = self._secrets().lookup_token(new.draft_id)
        now = self._clock()
        with storage_errors("desk queue"):
            existing = self._by_draft(new.draft_id)
            if existing is not None:
                return self._view(existing, token=token, duplicate=True)
            try:
                with self._sessions.begin() as db:
                    if max_per_hour > 0 and new.client:
                        # Counted in the inserting transaction, under a lock per client and company:
                        # counted apart, 30 concurrent submits against a cap of 20 all got through.
                        self._lock_submissions(db, client_key(new.client), new.company)
                        recent = db.execute(
                            select(func.count(), func.min(TicketRow.created_at)).where(
                                TicketRow.client_key == client_key(new.client),
                                TicketRow.company == new.company,
                                TicketRow.created_at >= now - SUBMISSION_WINDOW,
                            )
                        ).one()
                        if recent[0] >= max_per_hour:
                            raise SubmissionLimitError(max_per_hour, retry_seconds(as_utc(recent[1]) + SUBMISSION_WINDOW, now))
                    return self._view(self._insert(db, new, token, now), token=token)
            except IntegrityError:
                # Another submit of the same draft committed first (PostgreSQL waited for it): that one stands.
                existing = self._by_draft(new.draft_id)
                if existing is None:
                    raise
                return self._view(existing, token=token, duplicate=True)

    @staticmethod
    def _lock_submissions(db: Session, client: str, company: str) -> None:
        """Serialise one client's submissions to one company until the transaction ends."""
        if db.get_bind().dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(f"{client}|{company}".encode()).digest()[:8], "big", signed=True)
            db.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        else:  # SQLite has one writer at a time: a write that changes nothing takes the lock now, not at the insert
            db.execute(sql(f"UPDATE {TicketRow.__tablename__} SET status = status WHERE 1 = 0"))

    def submitted(self, draft_id: str, session_id: str) -> Ticket | None:
        """The ticket `draft_id` of `session_id` became, or None."""
        with storage_errors("desk queue"):
            row = self._by_draft(draft_id)
        if row is None or row.session_id != session_id:
            return None
        return self._view(row, token=self._secrets().lookup_token(draft_id), duplicate=True)

    def for_session(self, session_id: str) -> tuple[Ticket, ...]:
        """The tickets `session_id` opened, newest first (no tokens)."""
        with storage_errors("desk queue"), self._sessions() as db:
            rows = db.scalars(select(TicketRow).where(TicketRow.session_id == session_id).order_by(TicketRow.number.desc())).all()
            return tuple(self._view(r, token=None) for r in rows)

    def _by_draft(self, draft_id: str) -> TicketRow | None:
        with self._sessions() as db:
            return db.scalars(select(TicketRow).where(TicketRow.draft_id == draft_id)).first()

    def post_message(self, reference: str, sender: Sender, text: str, actor: str, companies: Sequence[str] | None = None) -> TicketMessage:
        """Add a message and its audit entry in one transaction."""
        text = check_message_text(text)
        now = self._clock()
        with storage_errors("desk queue"), self._sessions.begin() as db:
            row = db.scalars(select(TicketRow).where(TicketRow.reference == reference)).first()
            if row is None or (companies is not None and row.company not in companies):
                raise TicketNotFoundError(reference)
            db.add(TicketMessageRow(ticket_number=row.number, at=now, sender=sender, text=text))
            code: AuditNote = "message_to_customer" if sender == "desk" else "message_from_customer"
            db.add(
                TicketEvent(
                    ticket_number=row.number,
                    from_status=row.status,
                    to_status=row.status,
                    actor=actor,
                    note=library_note(code),
                    note_code=code,
                    created_at=now,
                )
            )
            if row.status not in CLOSED_STATUSES:  # a closed ticket's updated_at is when it closed: retention counts from it
                row.updated_at = now
            return TicketMessage(iso_utc(now), sender, text)

    def messages(self, reference: str) -> tuple[TicketMessage, ...]:
        """A ticket's messages, oldest first."""
        with storage_errors("desk queue"), self._sessions() as db:
            row = db.scalars(select(TicketRow).where(TicketRow.reference == reference)).first()
            if row is None:
                raise TicketNotFoundError(reference)
            return self._messages(db, row.number)

    @staticmethod
    def _messages(db: Session, number: int) -> tuple[TicketMessage, ...]:
        rows = db.scalars(select(TicketMessageRow).where(TicketMessageRow.ticket_number == number).order_by(TicketMessageRow.id)).all()
        return tuple(TicketMessage(iso_utc(m.at), m.sender, m.text) for m in rows)  # type: ignore[arg-type]

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
            events=tuple(
                TicketEventView(e.from_status, e.to_status, e.actor, e.note, iso_utc(e.created_at), e.note_code, dict(e.note_params or {}))
                for e in events
            ),
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
                        note=library_note("viewed"),
                        note_code="viewed",
                        created_at=self._clock(),
                    )
                )
                db.flush()
            events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_number == row.number).order_by(TicketEvent.id)).all()
            contact = self._secrets().unseal(row.contact) if row.contact else None
            return replace(self._detail(row, events), contact=contact, messages=self._messages(db, row.number))

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
