"""Desk tickets: references, lifecycle, duplicates, status look-up, concurrency (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from assistant.db import TicketRow, make_engine, utcnow
from assistant.desk import InvalidTransitionError, NewTicket, SqlDeskQueue, TicketNotFoundError, normalize_request
from assistant.settings import Settings


def _queue(settings: Settings) -> SqlDeskQueue:
    return SqlDeskQueue(make_engine(settings.database_url, schema=settings.database_schema))


def _new(message: str = "Please delete my data", company: str = "upward", session: str | None = "s1") -> NewTicket:
    return NewTicket(company, "v1", ("deletion",), False, "chat", message, session, 14)


def test_reference_format_and_initial_state(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ticket = queue.open(_new())
    assert ticket.id.startswith("PRQ-") and len(ticket.id) == 10 and ticket.id[4:].isdigit()
    assert ticket.status == "received" and ticket.lookup_token
    detail = queue.get(ticket.id)
    assert detail.request_types == ("deletion",) and detail.channel == "chat" and detail.message == "Please delete my data"
    assert [e.to_status for e in detail.events] == ["received"]


def test_lifecycle_and_audit_trail(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ref = queue.open(_new()).id
    queue.set_status(ref, "awaiting_identity", "staff:a", "asked for ID")
    queue.set_status(ref, "in_progress", "staff:a", "ID received")
    detail = queue.set_status(ref, "completed", "staff:b", "deleted")
    assert detail.status == "completed"
    assert [(e.from_status, e.to_status, e.actor) for e in detail.events][1:] == [
        ("received", "awaiting_identity", "staff:a"),
        ("awaiting_identity", "in_progress", "staff:a"),
        ("in_progress", "completed", "staff:b"),
    ]
    with pytest.raises(InvalidTransitionError, match="closed"):
        queue.set_status(ref, "in_progress", "staff:a", "reopen")


@pytest.mark.parametrize("start", ["received", "awaiting_identity", "in_progress"])
@pytest.mark.parametrize("end", ["rejected", "withdrawn"])
def test_reject_and_withdraw_from_any_open_state(db_settings: Settings, start: str, end: str) -> None:
    queue = _queue(db_settings)
    ref = queue.open(_new(f"request {start} {end}")).id
    path = {"received": [], "awaiting_identity": ["awaiting_identity"], "in_progress": ["in_progress"]}[start]
    for status in path:
        queue.set_status(ref, status, "staff", "step")
    assert queue.set_status(ref, end, "staff", "reason given").status == end


def test_illegal_transitions_and_rejection_without_reason(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ref = queue.open(_new()).id
    with pytest.raises(InvalidTransitionError, match="from received to completed"):
        queue.set_status(ref, "completed", "staff", "skip")
    with pytest.raises(InvalidTransitionError, match="reason"):
        queue.set_status(ref, "rejected", "staff", "  ")
    with pytest.raises(InvalidTransitionError, match="unknown status"):
        queue.set_status(ref, "done", "staff", "")
    assert queue.get(ref).status == "received"


def test_same_request_in_same_session_within_ten_minutes_is_one_ticket(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    first = queue.open(_new("Please DELETE my data!!"))
    again = queue.open(_new("please delete my data"))
    assert again.id == first.id and again.duplicate and again.lookup_token is None
    other_session = queue.open(_new("please delete my data", session="s2"))
    assert other_session.id != first.id
    # Older than the window: a new ticket.
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    with engine.begin() as conn:
        conn.execute(update(TicketRow).values(created_at=utcnow() - timedelta(minutes=11)))
    assert queue.open(_new("please delete my data")).id not in (first.id, other_session.id)


def test_normalisation_folds_case_space_and_punctuation() -> None:
    assert normalize_request("Delete   my data, please!") == normalize_request("delete my data please")
    assert normalize_request("delete my data") != normalize_request("correct my data")


def test_status_lookup_needs_the_token(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ticket = queue.open(_new())
    assert queue.lookup(ticket.id, ticket.lookup_token or "").status == "received"
    with pytest.raises(TicketNotFoundError):
        queue.lookup(ticket.id, "wrong-token")
    with pytest.raises(TicketNotFoundError):
        queue.lookup("PRQ-999999", ticket.lookup_token or "")


def test_company_scope_hides_other_companies_tickets(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ref = queue.open(_new(company="upward")).id
    with pytest.raises(TicketNotFoundError):
        queue.get(ref, companies=["highreso"])
    with pytest.raises(TicketNotFoundError):
        queue.set_status(ref, "in_progress", "staff", "x", companies=["highreso"])
    assert queue.get(ref, companies=["upward"]).reference == ref


def test_list_filters_and_paging(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    refs = [queue.open(_new(f"request number {i}", company="upward" if i % 2 else "highreso")).id for i in range(6)]
    queue.set_status(refs[0], "in_progress", "staff", "")
    items, total = queue.list(companies=["upward"])
    assert total == 3 and all(t.company == "upward" for t in items)
    assert [t.reference for t in queue.list(status="in_progress")[0]] == [refs[0]]
    page, total = queue.list(offset=2, limit=2)
    assert total == 6 and len(page) == 2 and page[0].reference == refs[3]  # newest first
    assert queue.list(request_type="deletion")[1] == 6 and queue.list(request_type="disclosure")[1] == 0
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    with engine.begin() as conn:
        conn.execute(update(TicketRow).where(TicketRow.reference == refs[1]).values(due_at=utcnow() - timedelta(days=1)))
    overdue, n = queue.list(overdue=True)
    assert n == 1 and overdue[0].reference == refs[1] and overdue[0].overdue


def test_staff_reads_are_audited(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    ref = queue.open(_new()).id
    queue.get(ref, actor="staff:alice")
    events = queue.get(ref).events
    assert any(e.actor == "staff:alice" and e.note == "viewed" for e in events)


def test_concurrent_opens_get_distinct_references(db_settings: Settings) -> None:
    queue = _queue(db_settings)
    refs: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            ref = queue.open(_new(f"concurrent request {i}", session=f"sess-{i}")).id
            with lock:
                refs.append(ref)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(refs) == 60 and len(set(refs)) == 60
    assert queue.list(limit=500)[1] == 60
