"""The facade of what works without an index: the company list, forgetting a conversation, status
look-ups, formal-request submissions and the staff's desk queue. `Assistant` answers messages; this
serves the rest, so the desk and status paths keep working while no index is loaded."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answering.messages import text
from assistant.desk.drafts import DEFAULT_MAX_OPEN_DRAFTS, NO_DRAFT, DraftNotFoundError, DraftStore
from assistant.desk.tickets import DEFAULT_FILTER, DeskQueue, NewTicket, TicketDetail, TicketFilter, TicketMessage, TicketNotFoundError
from assistant.desk.webhooks import NullNotifier, TicketNotifier
from assistant.domain import Company, Contact, Ticket
from assistant.errors import AssistantError, StorageUnavailableError
from assistant.storage.sessions import SessionStore
from assistant.understand.companies import CompanyDirectory
from assistant.understand.language import Language
from assistant.vocabulary import REQUEST_TYPES

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SUBMISSION_CHANNEL = "api"


class InvalidSubmissionError(AssistantError):
    """A formal-request submission that cannot be accepted; `field` names the part to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


@dataclass(frozen=True)
class RequestLimits:
    """Flood caps on formal requests (PA_MAX_OPEN_DRAFTS, PA_MAX_SUBMISSIONS_PER_HOUR)."""

    max_open_drafts: int = DEFAULT_MAX_OPEN_DRAFTS
    max_submissions_per_hour: int = 20


@dataclass(frozen=True)
class Submission:
    """A customer's confirmation of a draft, with how the desk can reach them."""

    draft_id: str = field(repr=False)
    session_id: str
    contact: Contact
    consent: bool
    request_types: tuple[str, ...] | None = None  # None: the draft's
    proxy: bool | None = None  # None: the draft's
    note: str | None = field(default=None, repr=False)
    client: str | None = field(default=None, repr=False)  # the submitting client's address (flood cap)


@dataclass(frozen=True)
class SubmittedRequest:
    """What a submission returns: the ticket (with its lookup token) and what the customer must still do."""

    ticket: Ticket
    next_steps: str


@dataclass(frozen=True)
class RequestView:
    """What a customer sees of their request: the ticket and the messages on it."""

    ticket: Ticket
    messages: tuple[TicketMessage, ...]


def check_submission(submission: Submission) -> None:
    """InvalidSubmissionError naming the field when consent or a way to reply is missing."""
    if submission.consent is not True:
        raise InvalidSubmissionError("consent", "must be true: the request and your contact details go to the company's privacy desk")
    contact = submission.contact
    if not contact.reachable:
        raise InvalidSubmissionError(
            "contact", "give an e-mail address (contact.email) or a postal address (contact.postal_address) for the desk's reply"
        )
    if contact.email and contact.email.strip() and not _EMAIL.fullmatch(contact.email.strip()):
        raise InvalidSubmissionError("contact.email", "is not an e-mail address")
    if submission.request_types is not None:
        unknown = sorted(set(submission.request_types) - set(REQUEST_TYPES))
        if not submission.request_types or unknown:
            raise InvalidSubmissionError("request_types", f"give one or more of {', '.join(REQUEST_TYPES)}")


def next_steps(company: Company, lang: Language = "en") -> str:
    """What the customer must still do, as the company's own requirements (companies.toml) state it."""
    desk = company.desk_name or text("desk_default_name", lang)
    name = company.short_name_in(lang)
    where = company.desk_address or company.desk_url or company.desk_email
    note = company.desk_channels_note_in(lang)
    if note:
        at = text("next_steps_where", lang, where=where) if where else ""
        return text("next_steps_channel", lang, company=name, note=note, desk=desk, where=at)
    if where is None:
        page = text("next_steps_page", lang, url=company.source_url) if company.source_url else ""
        return text("next_steps_no_contact", lang, company=name, desk=desk, page=page)
    return text("next_steps_default", lang, company=name, desk=desk, where=where)


class Backoffice:
    """Companies, sessions, drafts and desk tickets, each call handed to the store that keeps it."""

    def __init__(
        self,
        directory: CompanyDirectory,
        sessions: SessionStore,
        desk: DeskQueue,
        drafts: DraftStore | None = None,
        limits: RequestLimits | None = None,
        notifier: TicketNotifier | None = None,
    ) -> None:
        self._directory = directory
        self._sessions = sessions
        self._desk = desk
        self._drafts = drafts
        self.limits = limits or RequestLimits()
        self._notifier = notifier or NullNotifier()

    def companies(self) -> list[Company]:
        """Every company of the corpus."""
        return self._directory.companies

    def forget_session(self, session_id: str, companies: frozenset[str] | None = None) -> None:
        """Delete a conversation's transcript, its request drafts and held original (its tickets stay with
        the desk); one about a company outside `companies` (None: any) is left alone."""
        if companies is not None:
            company = self._sessions.load(session_id).company
            if company is not None and company not in companies:
                return
        self._sessions.delete(session_id)
        if self._drafts is not None:
            # At once, not at expiry: a draft holds the customer's own words, contact details included.
            self._drafts.delete_session(session_id)

    def submit_request(self, submission: Submission, companies: frozenset[str] | None = None, lang: Language = "en") -> SubmittedRequest:
        """Turn a draft into a desk ticket, once per draft: a repeat returns the same reference and token.

        InvalidSubmissionError or DraftNotFoundError (a draft of a company outside `companies` included)
        name what to fix; SubmissionLimitError past the hourly cap."""
        check_submission(submission)
        if self._drafts is None:
            raise DraftNotFoundError(NO_DRAFT)
        try:
            draft = self._drafts.get(submission.draft_id, submission.session_id)
        except DraftNotFoundError:
            # A draft submitted before it expired stays submitted: its ticket answers the repeat.
            done = self._desk.submitted(submission.draft_id, submission.session_id)
            company = self._directory.get(done.company) if done is not None else None
            if done is None or company is None or (companies is not None and done.company not in companies):
                raise DraftNotFoundError(NO_DRAFT) from None
            return SubmittedRequest(done, next_steps(company, lang))
        company = self._directory.get(draft.company)
        if company is None or (companies is not None and draft.company not in companies):
            raise DraftNotFoundError(NO_DRAFT)
        message = draft.message or "(submitted again after the draft was submitted)"
        if submission.note and submission.note.strip():
            message += f"\n\nNote from the customer: {submission.note.strip()}"
        ticket = self._desk.submit(
            NewTicket(
                company=company.id,
                policy_version=draft.policy_version,
                request_types=submission.request_types or draft.request_types,
                proxy=draft.proxy if submission.proxy is None else submission.proxy,
                channel=SUBMISSION_CHANNEL,
                message=message,
                session_id=draft.session_id,
                due_days=company.due_days,
                draft_id=draft.id,
                contact=submission.contact,
                client=submission.client,
            ),
            max_per_hour=self.limits.max_submissions_per_hour,
        )
        if not ticket.duplicate:  # committed first: a webhook never announces a ticket that is not there
            self._notifier.notify(ticket)
        if draft.submitted_reference is None:
            # After the announcement: the ticket is committed, so a failure here must not make a
            # retry (a duplicate, never announced) lose the webhook. The draft's own "submitted"
            # mark only shortens the next chat reply, and the ticket's draft_id says the same.
            try:
                self._drafts.mark_submitted(draft.id, ticket.id)
            except StorageUnavailableError:
                log.warning("could not mark draft of %s submitted; its ticket stands", ticket.id)
        return SubmittedRequest(ticket, next_steps(company, lang))

    def request_view(self, reference: str, token: str) -> RequestView:
        """A customer's status check with the messages on the ticket."""
        ticket = self._desk.lookup(reference, token)
        return RequestView(ticket, self._desk.messages(reference))

    def customer_message(self, reference: str, token: str, text: str, companies: frozenset[str] | None = None) -> TicketMessage:
        """A customer's answer to the desk (the token checked first); TicketNotFoundError otherwise."""
        ticket = self._desk.lookup(reference, token)
        if companies is not None and ticket.company not in companies:
            raise TicketNotFoundError(reference)
        return self._desk.post_message(reference, "customer", text, "customer")

    def desk_message(self, reference: str, text: str, actor: str, companies: Sequence[str] | None = None) -> TicketMessage:
        """A staff member's message to the customer (audited)."""
        return self._desk.post_message(reference, "desk", text, actor, companies)

    def tickets(self, where: TicketFilter = DEFAULT_FILTER, offset: int = 0, limit: int = 50) -> tuple[list[TicketDetail], int]:
        """Tickets matching `where`, newest first, and their total count."""
        return self._desk.list(where, offset, limit)

    def ticket(self, reference: str, companies: Sequence[str] | None = None, actor: str | None = None) -> TicketDetail:
        """One ticket with its audit trail (a read by `actor` is audited)."""
        return self._desk.get(reference, companies, actor=actor)

    def set_ticket_status(self, reference: str, status: str, actor: str, note: str, companies: Sequence[str] | None = None) -> TicketDetail:
        """Move a ticket along its lifecycle, recording who did it and why."""
        return self._desk.set_status(reference, status, actor, note, companies)
