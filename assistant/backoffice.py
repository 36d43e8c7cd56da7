"""The facade of what works without an index: the company list, forgetting a conversation, status
look-ups and the staff's desk queue. `Assistant` answers messages; this serves the rest, so the
desk and status paths keep working while no index is loaded."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.desk.tickets import DEFAULT_FILTER, DeskQueue, TicketDetail, TicketFilter
from assistant.domain import Company, Ticket
from assistant.storage.sessions import SessionStore
from assistant.understand.companies import CompanyDirectory


class Backoffice:
    """Companies, sessions and desk tickets, each call handed to the store that keeps it."""

    def __init__(self, directory: CompanyDirectory, sessions: SessionStore, desk: DeskQueue) -> None:
        self._directory = directory
        self._sessions = sessions
        self._desk = desk

    def companies(self) -> list[Company]:
        """Every company of the corpus."""
        return self._directory.companies

    def forget_session(self, session_id: str, companies: frozenset[str] | None = None) -> None:
        """Delete a conversation's transcript; one about a company outside `companies` (None: any) is left alone."""
        if companies is not None:
            company = self._sessions.load(session_id).company
            if company is not None and company not in companies:
                return
        self._sessions.delete(session_id)

    def request_status(self, reference: str, token: str) -> Ticket:
        """A customer's status check; TicketNotFoundError on a wrong reference or token."""
        return self._desk.lookup(reference, token)

    def tickets(self, where: TicketFilter = DEFAULT_FILTER, offset: int = 0, limit: int = 50) -> tuple[list[TicketDetail], int]:
        """Tickets matching `where`, newest first, and their total count."""
        return self._desk.list(where, offset, limit)

    def ticket(self, reference: str, companies: Sequence[str] | None = None, actor: str | None = None) -> TicketDetail:
        """One ticket with its audit trail (a read by `actor` is audited)."""
        return self._desk.get(reference, companies, actor=actor)

    def set_ticket_status(self, reference: str, status: str, actor: str, note: str, companies: Sequence[str] | None = None) -> TicketDetail:
        """Move a ticket along its lifecycle, recording who did it and why."""
        return self._desk.set_status(reference, status, actor, note, companies)
