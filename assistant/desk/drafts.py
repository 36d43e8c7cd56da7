"""Request drafts: a formal request read in chat, held until the customer confirms it and gives
contact details (POST /v1/requests), shared by every worker through the database."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.errors import AssistantError, RetryLaterError
from assistant.storage.db import DraftRow, as_utc, delete_expired_drafts, storage_errors, utcnow

DEFAULT_DRAFT_TTL = timedelta(hours=24)
DEFAULT_MAX_OPEN_DRAFTS = 5
# The company of a held row: the original of a request a clarify question left pending, waiting for
# the company the customer names (`DraftStore.hold`). No company id is empty, so it is never a draft.
HELD = ""


# What a customer is told of a draft that is not there, by every store and the facade alike ("field: " first, for a form).
NO_DRAFT = "draft_id: unknown or expired draft; ask again in the chat for a new one"


class DraftNotFoundError(AssistantError):
    """No live draft with that id in that session: unknown, another session's, or expired."""

    field = "draft_id"


class TooManyDraftsError(RetryLaterError):
    """A session already holds as many open drafts as it may."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__("too_many_drafts", retry_after, limit=limit)


def new_draft_id() -> str:
    """An opaque, unguessable draft id (192 random bits, url-safe)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class NewDraft:
    """What a formal request read in chat gives a draft."""

    session_id: str
    company: str
    request_types: tuple[str, ...]
    proxy: bool
    policy_version: str
    message: str = field(repr=False)  # the customer's own words: never in a repr or a log


@dataclass(frozen=True)
class RequestDraft:
    """A formal request waiting for the customer's confirmation; `submitted_reference` once submitted."""

    id: str = field(repr=False)  # the lookup token derives from it
    session_id: str
    company: str
    request_types: tuple[str, ...]
    proxy: bool
    policy_version: str
    message: str = field(repr=False)  # held for the draft's life only; emptied on submission
    created_at: datetime
    expires_at: datetime
    submitted_reference: str | None = None

    def same_request(self, new: NewDraft) -> bool:
        """Whether `new` asks the same as this draft, in the same session."""
        return (self.session_id, self.company, sorted(self.request_types), self.proxy) == (
            new.session_id,
            new.company,
            sorted(new.request_types),
            new.proxy,
        )


class DraftStore(Protocol):
    """Keeps request drafts until they are submitted or expire."""

    def open(self, new: NewDraft, max_open: int = DEFAULT_MAX_OPEN_DRAFTS) -> RequestDraft:
        """The session's live draft of the same request (submitted or not), else a new one;
        TooManyDraftsError when the session already holds `max_open` unsubmitted drafts."""
        ...

    def get(self, draft_id: str, session_id: str) -> RequestDraft:
        """The live draft `draft_id` of `session_id`; DraftNotFoundError otherwise (expired included)."""
        ...

    def mark_submitted(self, draft_id: str, reference: str) -> None:
        """Record the ticket a draft became; its message is dropped (the ticket holds it now)."""
        ...

    def purge_expired(self) -> int:
        """Delete the drafts past their expiry, messages with them; how many went."""
        ...

    def hold(self, session_id: str, message: str) -> None:
        """Keep the original of a request a clarify question left pending (the session keeps only its
        redacted copy), replacing the session's earlier one, until taken or expired like a draft."""
        ...

    def take_held(self, session_id: str) -> str | None:
        """The session's held original, removed from the store; None when there is none (or it expired)."""
        ...

    def delete_session(self, session_id: str) -> int:
        """Delete every draft and the held original of `session_id` now (the conversation was cleared),
        submitted or not, messages with them; how many went. Tickets are the desk's: they stay."""
        ...


def existing_draft(live: Sequence[RequestDraft], new: NewDraft, max_open: int, now: datetime) -> RequestDraft | None:
    """Of a session's live drafts (oldest first), the latest of the same request; None when a new
    one may be opened, TooManyDraftsError when `max_open` wait unsubmitted already."""
    same = [d for d in live if d.same_request(new)]
    if same:
        return same[-1]
    waiting = [d for d in live if d.submitted_reference is None]
    if len(waiting) >= max_open:
        raise TooManyDraftsError(max_open, max(1, int((waiting[0].expires_at - now).total_seconds())))
    return None


class SqlDraftStore:
    """Drafts in the `request_drafts` table."""

    def __init__(self, engine: Engine, ttl: timedelta = DEFAULT_DRAFT_TTL, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.ttl = ttl
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    @staticmethod
    def _view(row: DraftRow) -> RequestDraft:
        return RequestDraft(
            id=row.id,
            session_id=row.session_id,
            company=row.company,
            request_types=tuple(row.request_types),
            proxy=row.proxy,
            policy_version=row.policy_version,
            message=row.message,
            created_at=as_utc(row.created_at),
            expires_at=as_utc(row.expires_at),
            submitted_reference=row.submitted_reference,
        )

    def open(self, new: NewDraft, max_open: int = DEFAULT_MAX_OPEN_DRAFTS) -> RequestDraft:
        """The session's live draft of the same request, else a new one (expired drafts are purged first)."""
        now = self._clock()
        with storage_errors("draft store"), self._sessions.begin() as db:
            delete_expired_drafts(db, now)
            live = [
                self._view(r)
                for r in db.scalars(
                    select(DraftRow)
                    .where(DraftRow.session_id == new.session_id, DraftRow.expires_at > now, DraftRow.company != HELD)
                    .order_by(DraftRow.created_at)
                ).all()
            ]
            found = existing_draft(live, new, max_open, now)
            if found is not None:
                return found
            row = DraftRow(
                id=new_draft_id(),
                session_id=new.session_id,
                company=new.company,
                request_types=list(new.request_types),
                proxy=new.proxy,
                policy_version=new.policy_version,
                message=new.message,
                created_at=now,
                expires_at=now + self.ttl,
            )
            db.add(row)
            db.flush()
            return self._view(row)

    def get(self, draft_id: str, session_id: str) -> RequestDraft:
        """The live draft `draft_id` of `session_id`; DraftNotFoundError otherwise."""
        with storage_errors("draft store"), self._sessions() as db:
            row = db.get(DraftRow, draft_id)
            if row is None or row.session_id != session_id or row.company == HELD or as_utc(row.expires_at) <= self._clock():
                raise DraftNotFoundError(NO_DRAFT)
            return self._view(row)

    def mark_submitted(self, draft_id: str, reference: str) -> None:
        """Record the ticket `draft_id` became, and drop its message."""
        with storage_errors("draft store"), self._sessions.begin() as db:
            db.execute(update(DraftRow).where(DraftRow.id == draft_id).values(submitted_reference=reference, message=""))

    def purge_expired(self) -> int:
        """Delete expired drafts (their messages with them)."""
        with storage_errors("draft store"), self._sessions.begin() as db:
            return delete_expired_drafts(db, self._clock())

    def hold(self, session_id: str, message: str) -> None:
        """Keep `message` as the session's held original: a row of no company, replacing any earlier one."""
        now = self._clock()
        with storage_errors("draft store"), self._sessions.begin() as db:
            db.execute(delete(DraftRow).where(DraftRow.session_id == session_id, DraftRow.company == HELD))
            db.add(
                DraftRow(
                    id=new_draft_id(),
                    session_id=session_id,
                    company=HELD,
                    request_types=[],
                    proxy=False,
                    policy_version="",
                    message=message,
                    created_at=now,
                    expires_at=now + self.ttl,
                )
            )

    def take_held(self, session_id: str) -> str | None:
        """The session's live held original, deleted in the same transaction."""
        now = self._clock()
        with storage_errors("draft store"), self._sessions.begin() as db:
            held = db.scalars(
                select(DraftRow.message).where(DraftRow.session_id == session_id, DraftRow.company == HELD, DraftRow.expires_at > now)
            ).first()
            db.execute(delete(DraftRow).where(DraftRow.session_id == session_id, DraftRow.company == HELD))
            return held

    def delete_session(self, session_id: str) -> int:
        """Delete the session's drafts and held original in one statement."""
        with storage_errors("draft store"), self._sessions.begin() as db:
            result = db.execute(delete(DraftRow).where(DraftRow.session_id == session_id), execution_options={"synchronize_session": False})
            return int(getattr(result, "rowcount", 0) or 0)
