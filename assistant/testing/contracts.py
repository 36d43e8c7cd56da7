"""Contract test classes: what every implementation of a seam must do, real or fake.

Subclass one in a test module (its name starting with `Test`) and provide its fixture; every
test of the contract then runs against that implementation (the pattern of haystack's
`DocumentStoreBaseTests`):

    class TestSqlSessionStore(SessionStoreContract):
        @pytest.fixture
        def make_store(self, sqlite_url):
            return lambda max_turns: SqlSessionStore(make_engine(sqlite_url), max_turns)

Needs pytest (a dev dependency); nothing outside the tests imports this module.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import numpy as np
import pytest

from assistant.answering.phrasing import Phraser
from assistant.desk.drafts import NO_DRAFT, DraftNotFoundError, DraftStore, NewDraft, TooManyDraftsError
from assistant.desk.tickets import (
    EVAL_CHANNEL,
    DeskQueue,
    InvalidTransitionError,
    NewTicket,
    SubmissionLimitError,
    TicketFilter,
    TicketNotFoundError,
    library_note,
)
from assistant.desk.webhooks import TicketNotifier
from assistant.domain import Contact, Ticket
from assistant.errors import InvalidMessageError, PhrasingError
from assistant.models.embedders import Embedder
from assistant.search.retrieval import Retriever
from assistant.storage.db import utcnow
from assistant.storage.sessions import SessionState, SessionStore, TurnRecord
from assistant.understand.intent import INTENTS, IntentDetector
from assistant.understand.pleasantries import strip_pleasantries
from assistant.vocabulary import AUDIT_NOTES, FORMAL_REQUEST_TYPES, OPEN_STATUSES, AuditNote

EMAIL = "hanako.secret.1234@example.org"
PHONE = "090-8765-4321"


class ManualClock:
    """A UTC clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        """The current (fixed) time."""
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by `delta`."""
        self.now += delta


def unused_port() -> int:
    """A local TCP port nothing listens on (a receiver that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- session store -----------------------------------------------------------------------------
def _turn(text: str = "What do you collect?", company: str | None = "upward", **extra: object) -> TurnRecord:
    values: dict[str, object] = {
        "user_text": text,
        "reply_text": f"reply to {text}",
        "route": "answer",
        "company": company,
        "last_query": text,
        "pending_message": None,
        "cited": (),
    }
    values.update(extra)
    return TurnRecord(**values)  # type: ignore[arg-type]


class SessionStoreContract:
    """A SessionStore keeps each conversation's state and redacted transcript apart from every other."""

    @pytest.fixture
    def make_store(self) -> Callable[[int], SessionStore]:
        """A factory of empty stores keeping at most `max_turns` turns per session."""
        raise NotImplementedError

    def test_no_or_unknown_id_gives_a_fresh_session_under_a_new_id(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        first, second = store.load(None), store.load(None)
        assert first.is_new and second.is_new and first.id and first.id != second.id
        unknown = store.load("no-such-session")
        assert unknown.is_new and unknown.id != "no-such-session" and unknown.company is None
        assert store.transcript("no-such-session") == []

    def test_a_recorded_turn_is_loaded_back(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        state = store.load(None)
        store.record(state, _turn("How much is a disclosure?", cited=(("upward", 10, 42),)))
        loaded = store.load(state.id)
        assert loaded == SessionState(state.id, "upward", "How much is a disclosure?", None, False, (("upward", 10, 42),))

    def test_the_latest_turn_sets_the_state(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        state = store.load(None)
        store.record(state, _turn(cited=(("upward", 1, 5),)))
        store.record(
            store.load(state.id), _turn("Which company?", company=None, last_query=None, pending_message="Delete my data", route="clarify")
        )
        loaded = store.load(state.id)
        assert (loaded.company, loaded.last_query, loaded.pending_message, loaded.last_cited) == (None, None, "Delete my data", ())
        assert [t["route"] for t in store.transcript(state.id)] == ["answer", "clarify"]

    def test_a_session_not_known_to_be_new_is_stored_all_the_same(self, make_store: Callable[[int], SessionStore]) -> None:
        # The facade falls back to this state when loading failed: the row may or may not exist.
        store = make_store(50)
        state = SessionState("0123456789abcdef0123456789abcdef", is_new=False)
        store.record(state, _turn())
        assert store.load(state.id).company == "upward"
        assert len(store.transcript(state.id)) == 1

    def test_transcripts_are_redacted_oldest_first(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        state = store.load(None)
        store.record(state, _turn(f"Please correct my email to {EMAIL} and my phone to {PHONE}.", route="desk"))
        store.record(store.load(state.id), _turn("And my address?"))
        turns = store.transcript(state.id)
        assert [t["route"] for t in turns] == ["desk", "answer"]
        assert set(turns[0]) == {"user", "assistant", "route"}
        stored = repr(turns) + repr(store.load(state.id))
        assert EMAIL not in stored and PHONE not in stored
        assert turns[1]["user"] == "And my address?"

    def test_history_is_capped_at_the_newest_turns(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(3)
        state = store.load(None)
        for i in range(5):
            store.record(state if i == 0 else store.load(state.id), _turn(f"question {i}"))
        assert [t["user"] for t in store.transcript(state.id)] == ["question 2", "question 3", "question 4"]

    def test_sessions_are_kept_apart(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        a, b = store.load(None), store.load(None)
        store.record(a, _turn("about upward", company="upward"))
        store.record(b, _turn("about highreso", company="highreso"))
        assert store.load(a.id).company == "upward" and store.load(b.id).company == "highreso"
        assert [t["user"] for t in store.transcript(a.id)] == ["about upward"]

    def test_delete_forgets_the_session_and_its_transcript(self, make_store: Callable[[int], SessionStore]) -> None:
        store = make_store(50)
        state, other = store.load(None), store.load(None)
        store.record(state, _turn())
        store.record(other, _turn())
        assert store.delete(state.id) is True
        assert store.transcript(state.id) == []
        assert store.load(state.id).is_new
        assert store.delete(state.id) is False
        assert len(store.transcript(other.id)) == 1


# -- desk queue --------------------------------------------------------------------------------
_DRAFT_IDS = itertools.count(1)


def _new(
    message: str = "Please delete my data",
    company: str = "upward",
    session: str = "s1",
    channel: str = "chat",
    due_days: int = 14,
) -> NewTicket:
    """A submission of a draft of its own (a new draft id each call), with no contact and no client."""
    return NewTicket(company, "v1", ("deletion",), False, channel, message, session, due_days, draft_id=f"draft-{next(_DRAFT_IDS)}")


# Every open status in lifecycle order, then done.
HAPPY_PATH = (*OPEN_STATUSES, "completed")


class DeskQueueContract:
    """A DeskQueue numbers tickets, opens one per draft however often it is submitted, walks the
    lifecycle with an audit trail, and shows staff only their companies' tickets."""

    @pytest.fixture
    def make_queue(self) -> Callable[[Callable[[], datetime]], DeskQueue]:
        """A factory of empty queues reading the time from the clock given."""
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The time the queue sees; tests move it."""
        return ManualClock()

    @pytest.fixture
    def queue(self, make_queue: Callable[[Callable[[], datetime]], DeskQueue], clock: ManualClock) -> DeskQueue:
        """An empty queue on the manual clock."""
        return make_queue(clock)

    def test_reference_format_and_initial_state(self, queue: DeskQueue, clock: ManualClock) -> None:
        ticket = queue.submit(_new())
        assert ticket.id.startswith("PRQ-") and len(ticket.id) == 10 and ticket.id[4:].isdigit()
        assert ticket.status == "received" and ticket.lookup_token and not ticket.duplicate
        assert ticket.company == "upward" and ticket.request_types == ("deletion",) and ticket.proxy is False
        assert datetime.fromisoformat(ticket.due_at) - datetime.fromisoformat(ticket.created_at) == timedelta(days=14)
        detail = queue.get(ticket.id)
        assert detail.request_types == ("deletion",) and detail.channel == "chat" and detail.message == "Please delete my data"
        assert detail.policy_version == "v1" and not detail.overdue
        assert [(e.from_status, e.to_status, e.actor) for e in detail.events] == [(None, "received", "customer:chat")]
        # The library's note: its code, and its English as stored.
        assert [(e.note_code, e.note, e.note_params) for e in detail.events] == [("request_received", "request received", {})]

    def test_references_are_distinct_and_increase(self, queue: DeskQueue) -> None:
        refs = [queue.submit(_new(f"request {i}")).id for i in range(3)]
        assert len(set(refs)) == 3 and refs == sorted(refs)

    def test_lifecycle_and_audit_trail(self, queue: DeskQueue) -> None:
        ref = queue.submit(_new()).id
        for status in HAPPY_PATH[1:]:
            detail = queue.set_status(ref, status, f"staff:{status}", f"now {status}")
        assert detail.status == "completed" and queue.get(ref).status == "completed"
        assert [(e.from_status, e.to_status, e.actor, e.note) for e in detail.events][1:] == [
            (a, b, f"staff:{b}", f"now {b}") for a, b in itertools.pairwise(HAPPY_PATH)
        ]
        assert all(e.note_code is None and e.note_params == {} for e in detail.events[1:]), "staff's own words carry no code"
        with pytest.raises(InvalidTransitionError, match="closed"):
            queue.set_status(ref, "in_progress", "staff:a", "reopen")

    @pytest.mark.parametrize("start", OPEN_STATUSES)
    @pytest.mark.parametrize("end", ["rejected", "withdrawn"])
    def test_reject_and_withdraw_from_any_open_state(self, queue: DeskQueue, start: str, end: str) -> None:
        ref = queue.submit(_new(f"request {start} {end}")).id
        if start != "received":
            queue.set_status(ref, start, "staff", "step")
        assert queue.set_status(ref, end, "staff", "reason given").status == end

    def test_illegal_transitions_and_rejection_without_reason(self, queue: DeskQueue) -> None:
        ref = queue.submit(_new()).id
        with pytest.raises(InvalidTransitionError, match="from received to completed"):
            queue.set_status(ref, "completed", "staff", "skip")
        with pytest.raises(InvalidTransitionError, match="reason"):
            queue.set_status(ref, "rejected", "staff", "  ")
        with pytest.raises(InvalidTransitionError, match="unknown status"):
            queue.set_status(ref, "done", "staff", "")
        with pytest.raises(TicketNotFoundError):
            queue.set_status("PRQ-999999", "in_progress", "staff", "")
        assert queue.get(ref).status == "received"

    def test_the_same_text_from_two_drafts_is_two_tickets_and_a_draft_stays_one_however_late(
        self, queue: DeskQueue, clock: ManualClock
    ) -> None:
        # Repeats are told apart by draft, not by text: the chat finds a session's repeat as the same draft.
        first = queue.submit(_submission("draft-a", message="Please DELETE my data!!"))
        other = queue.submit(_submission("draft-b", message="please delete my data"))
        assert other.id != first.id and not other.duplicate and other.lookup_token != first.lookup_token
        clock.advance(timedelta(days=3))
        late = queue.submit(_submission("draft-a", message="please delete my data"))
        assert (late.id, late.lookup_token, late.duplicate) == (first.id, first.lookup_token, True)
        assert queue.list()[1] == 2

    def test_status_lookup_needs_the_token(self, queue: DeskQueue) -> None:
        ticket = queue.submit(_new())
        found = queue.lookup(ticket.id, ticket.lookup_token or "")
        assert found.status == "received" and found.id == ticket.id and found.lookup_token is None
        with pytest.raises(TicketNotFoundError):
            queue.lookup(ticket.id, "wrong-token")
        with pytest.raises(TicketNotFoundError):
            queue.lookup("PRQ-999999", ticket.lookup_token or "")

    def test_company_scope_hides_other_companies_tickets(self, queue: DeskQueue) -> None:
        ref = queue.submit(_new(company="upward")).id
        with pytest.raises(TicketNotFoundError):
            queue.get(ref, companies=["highreso"])
        with pytest.raises(TicketNotFoundError):
            queue.set_status(ref, "in_progress", "staff", "x", companies=["highreso"])
        assert queue.get(ref, companies=["upward"]).reference == ref
        assert queue.list(TicketFilter(companies=("highreso",))) == ([], 0)

    def test_list_filters_and_paging(self, queue: DeskQueue) -> None:
        refs = [queue.submit(_new(f"request number {i}", company="upward" if i % 2 else "highreso")).id for i in range(6)]
        queue.set_status(refs[0], "in_progress", "staff", "")
        items, total = queue.list(TicketFilter(companies=("upward",)))
        assert total == 3 and all(t.company == "upward" for t in items)
        assert [t.reference for t in queue.list(TicketFilter(status="in_progress"))[0]] == [refs[0]]
        page, total = queue.list(offset=2, limit=2)
        assert total == 6 and [t.reference for t in page] == [refs[3], refs[2]]  # newest first
        assert queue.list(TicketFilter(request_type="deletion"))[1] == 6 and queue.list(TicketFilter(request_type="disclosure"))[1] == 0

    def test_overdue_tickets_are_the_open_ones_past_their_due_date(self, queue: DeskQueue, clock: ManualClock) -> None:
        soon = queue.submit(_new("request due soon", due_days=1)).id
        later = queue.submit(_new("request due later")).id
        closed = queue.submit(_new("request withdrawn", due_days=1)).id
        queue.set_status(closed, "withdrawn", "staff", "customer withdrew")
        assert queue.list(TicketFilter(overdue=True)) == ([], 0)
        clock.advance(timedelta(days=2))
        overdue, n = queue.list(TicketFilter(overdue=True))
        assert n == 1 and overdue[0].reference == soon and overdue[0].overdue
        assert {t.reference for t in queue.list(TicketFilter(overdue=False))[0]} == {later, closed}
        assert queue.get(soon).overdue and not queue.get(closed).overdue

    def test_evaluation_tickets_are_listed_only_when_asked(self, queue: DeskQueue) -> None:
        real = queue.submit(_new("a customer's request")).id
        evaluation = queue.submit(_new("an evaluation request", channel=EVAL_CHANNEL)).id
        assert [t.reference for t in queue.list()[0]] == [real]
        assert [t.reference for t in queue.list(TicketFilter(include_eval=True))[0]] == [evaluation, real]

    def test_staff_reads_are_audited(self, queue: DeskQueue) -> None:
        ref = queue.submit(_new()).id
        queue.get(ref, actor="staff:alice")
        events = queue.get(ref).events
        assert [(e.actor, e.note, e.from_status, e.to_status) for e in events][1:] == [("staff:alice", "viewed", "received", "received")]
        assert events[1].note_code == "viewed"

    def test_concurrent_submits_of_distinct_drafts_get_distinct_references(self, queue: DeskQueue) -> None:
        refs: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def worker(i: int) -> None:
            try:
                ref = queue.submit(_new(f"concurrent request {i}", session=f"sess-{i}")).id
                with lock:
                    refs.append(ref)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, [repr(e) for e in errors[:3]]
        assert len(refs) == 60 and len(set(refs)) == 60
        assert queue.list(limit=500)[1] == 60

    # -- submissions of drafts (POST /v1/requests) and messages -------------------------------
    def test_a_draft_is_submitted_once_with_the_same_reference_and_token(self, queue: DeskQueue) -> None:
        first = queue.submit(_submission("draft-a"))
        again = queue.submit(_submission("draft-a", message="typed again"))
        assert first.lookup_token and again.lookup_token == first.lookup_token and again.id == first.id
        assert not first.duplicate and again.duplicate
        other = queue.submit(_submission("draft-b"))
        assert other.id != first.id and other.lookup_token != first.lookup_token
        assert queue.lookup(first.id, first.lookup_token).status == "received"
        assert queue.list()[1] == 2
        assert queue.submitted("draft-a", "s1") == again
        assert queue.submitted("draft-a", "another-session") is None and queue.submitted("draft-c", "s1") is None

    def test_a_sessions_tickets_are_its_own_newest_first_without_tokens(self, queue: DeskQueue) -> None:
        first = queue.submit(_submission("draft-a"))
        second = queue.submit(_submission("draft-b", company="highreso"))
        queue.submit(replace(_submission("draft-c"), session_id="s2"))
        queue.set_status(first.id, "in_progress", "staff:test", "")
        mine = queue.for_session("s1")
        assert [(t.id, t.company, t.status) for t in mine] == [(second.id, "highreso", "received"), (first.id, "upward", "in_progress")]
        assert all(t.lookup_token is None for t in mine)
        assert queue.for_session("no-such-session") == ()

    def test_concurrent_submits_of_one_draft_make_one_ticket(self, queue: DeskQueue) -> None:
        results: list[Ticket] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(10)

        def worker() -> None:
            try:
                start.wait()
                ticket = queue.submit(_submission("draft-raced"))
                with lock:
                    results.append(ticket)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len({(t.id, t.lookup_token) for t in results}) == 1 and len(results) == 10
        assert sum(not t.duplicate for t in results) == 1
        assert queue.list(limit=500)[1] == 1

    def test_submissions_per_client_and_company_are_capped_per_hour(self, queue: DeskQueue, clock: ManualClock) -> None:
        for n in range(2):
            queue.submit(_submission(f"draft-{n}"), max_per_hour=2)
        with pytest.raises(SubmissionLimitError, match="at most 2 an hour"):
            queue.submit(_submission("draft-2"), max_per_hour=2)
        assert queue.submit(_submission("draft-0"), max_per_hour=2).duplicate  # a repeat is never refused
        queue.submit(_submission("draft-3", company="highreso"), max_per_hour=2)
        queue.submit(_submission("draft-4", client="198.51.100.9"), max_per_hour=2)
        clock.advance(timedelta(minutes=61))
        assert not queue.submit(_submission("draft-2"), max_per_hour=2).duplicate

    def test_staff_see_the_contact_only_in_the_ticket_they_open(self, queue: DeskQueue) -> None:
        ref = queue.submit(_submission("draft-contact")).id
        assert queue.get(ref, actor="staff:alice").contact == CONTACT
        assert queue.list()[0][0].contact is None
        assert CONTACT_EMAIL not in repr(queue.get(ref))  # never in a repr, so never in a log line
        assert queue.get(queue.submit(_new(session="s9")).id).contact is None

    def test_messages_between_desk_and_customer_are_kept_in_order_and_audited(self, queue: DeskQueue) -> None:
        ref = queue.submit(_submission("draft-talk")).id
        queue.post_message(ref, "desk", "  Please send a copy of your ID.  ", "staff:alice", companies=["upward"])
        queue.post_message(ref, "customer", "Sent by post today.", "customer")
        assert [(m.sender, m.text) for m in queue.messages(ref)] == [
            ("desk", "Please send a copy of your ID."),
            ("customer", "Sent by post today."),
        ]
        detail = queue.get(ref)
        assert [m.text for m in detail.messages] == ["Please send a copy of your ID.", "Sent by post today."]
        assert [(e.actor, e.note, e.note_code) for e in detail.events][1:] == [
            ("staff:alice", "message to the customer", "message_to_customer"),
            ("customer", "message from the customer", "message_from_customer"),
        ]
        with pytest.raises(TicketNotFoundError):
            queue.post_message(ref, "desk", "hello", "staff:bob", companies=["highreso"])
        with pytest.raises(TicketNotFoundError):
            queue.post_message("PRQ-999999", "desk", "hello", "staff:bob")
        with pytest.raises(InvalidMessageError):
            queue.post_message(ref, "customer", "   ", "customer")
        assert len(queue.messages(ref)) == 2

    def test_every_note_the_library_writes_carries_its_code(self, queue: DeskQueue) -> None:
        """Every entry but a status change is the library's own: its code names its wording (vocabulary.AUDIT_NOTES,
        the catalog's `audit.<code>`), so a client can word it in its own language, and its note is that wording's
        English; a status change carries staff's words and no code."""
        ref = queue.submit(_submission("draft-codes")).id
        queue.get(ref, actor="staff:alice")
        queue.post_message(ref, "desk", "Please send a copy of your ID.", "staff:alice")
        queue.post_message(ref, "customer", "Sent by post today.", "customer")
        queue.set_status(ref, "in_progress", "staff:alice", "identity checked")
        events = queue.get(ref).events
        library = [e for e in events if e.from_status is None or e.from_status == e.to_status]
        assert {e.note_code for e in library} == set(AUDIT_NOTES), "every code is written on some path (and none other)"
        for e in library:
            assert e.note == library_note(cast(AuditNote, e.note_code), **e.note_params), e
        assert [(e.note, e.note_code, e.note_params) for e in events if e not in library] == [("identity checked", None, {})]


CONTACT_EMAIL = "taro.contact.5678@example.org"
CONTACT = Contact(name="Taro Yamada", email=CONTACT_EMAIL, postal_address="1-2-3 Chiyoda, Tokyo", phone="03-1234-5678")


def _submission(draft_id: str, message: str = "Please delete my data", company: str = "upward", client: str = "203.0.113.7") -> NewTicket:
    return NewTicket(company, "v1", ("deletion",), False, "api", message, "s1", 14, draft_id=draft_id, contact=CONTACT, client=client)


# -- draft store -------------------------------------------------------------------------------
def _draft(session: str = "s1", company: str = "upward", types: tuple[str, ...] = ("deletion",), proxy: bool = False) -> NewDraft:
    return NewDraft(session, company, types, proxy, "v1", f"Please delete my data. My e-mail is {EMAIL}")


class DraftStoreContract:
    """A DraftStore hands out unguessable drafts, finds a session's repeat of the same request, caps
    a session's open drafts, and forgets a draft (and the message it holds) once it expires."""

    @pytest.fixture
    def make_store(self) -> Callable[[Callable[[], datetime]], DraftStore]:
        """A factory of empty stores (drafts live 24 hours) reading the time from the clock given."""
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The time the store sees; tests move it."""
        return ManualClock()

    @pytest.fixture
    def store(self, make_store: Callable[[Callable[[], datetime]], DraftStore], clock: ManualClock) -> DraftStore:
        """An empty store on the manual clock."""
        return make_store(clock)

    def test_a_draft_has_an_unguessable_id_and_expires_in_a_day(self, store: DraftStore, clock: ManualClock) -> None:
        # A session id no random id can hold by chance: "s1" sits in about 1 in 130 token_urlsafe(24) ids.
        session = "customer-session.0001"
        draft = store.open(_draft(session=session))
        other = store.open(_draft(session="s2"))
        assert len(draft.id) >= 32 and draft.id != other.id and session not in draft.id
        assert (draft.company, draft.request_types, draft.proxy, draft.policy_version) == ("upward", ("deletion",), False, "v1")
        assert EMAIL in draft.message and draft.submitted_reference is None
        assert draft.expires_at - draft.created_at == timedelta(hours=24) and draft.created_at == clock.now
        assert EMAIL not in repr(draft) and draft.id not in repr(draft)
        assert store.get(draft.id, session) == draft

    def test_the_same_request_in_the_same_session_finds_the_open_draft(self, store: DraftStore) -> None:
        draft = store.open(_draft(types=("deletion", "disclosure")))
        assert store.open(_draft(types=("disclosure", "deletion"))).id == draft.id
        assert store.open(_draft(session="s2", types=("deletion", "disclosure"))).id != draft.id
        assert store.open(_draft(company="highreso", types=("deletion", "disclosure"))).id != draft.id
        assert store.open(_draft(types=("deletion",))).id != draft.id
        assert store.open(_draft(types=("deletion", "disclosure"), proxy=True)).id != draft.id

    def test_only_its_own_session_gets_a_draft(self, store: DraftStore) -> None:
        draft = store.open(_draft())
        with pytest.raises(DraftNotFoundError):
            store.get(draft.id, "s2")
        with pytest.raises(DraftNotFoundError) as missing:
            store.get("no-such-draft", "s1")
        # Every store says it as the facade does: one text, its field first.
        assert str(missing.value) == NO_DRAFT and missing.value.field == "draft_id"

    def test_an_expired_draft_is_gone_with_its_message(self, store: DraftStore, clock: ManualClock) -> None:
        draft = store.open(_draft())
        clock.advance(timedelta(hours=23, minutes=59))
        assert store.get(draft.id, "s1").id == draft.id
        clock.advance(timedelta(minutes=2))
        with pytest.raises(DraftNotFoundError):
            store.get(draft.id, "s1")
        assert store.purge_expired() == 1 and store.purge_expired() == 0
        assert store.open(_draft()).id != draft.id  # a repeat after expiry is a new draft

    def test_a_session_holds_at_most_max_open_unsubmitted_drafts(self, store: DraftStore) -> None:
        types = tuple(FORMAL_REQUEST_TYPES)[:6]
        drafts = [store.open(_draft(types=(t,)), max_open=5) for t in types[:5]]
        with pytest.raises(TooManyDraftsError, match="at most 5;"):
            store.open(_draft(types=(types[5],)), max_open=5)
        assert store.open(_draft(types=(types[0],)), max_open=5).id == drafts[0].id  # a repeat is no new draft
        store.open(_draft(session="s2", types=(types[5],)), max_open=5)  # another session has its own
        store.mark_submitted(drafts[0].id, "PRQ-000001")
        assert store.open(_draft(types=(types[5],)), max_open=5).id not in {d.id for d in drafts}

    def test_a_submitted_draft_keeps_its_reference_and_drops_its_message(self, store: DraftStore) -> None:
        draft = store.open(_draft())
        store.mark_submitted(draft.id, "PRQ-000042")
        again = store.open(_draft())
        assert again.id == draft.id and again.submitted_reference == "PRQ-000042" and again.message == ""
        assert store.get(draft.id, "s1").submitted_reference == "PRQ-000042"

    def test_a_held_original_is_taken_once_by_its_own_session_and_never_a_draft(self, store: DraftStore) -> None:
        store.hold("s1", f"Please delete my data. My e-mail is {EMAIL}")
        store.hold("s1", f"Please delete everything. My e-mail is {EMAIL}")  # replaces the earlier one
        assert store.take_held("s2") is None
        store.open(_draft(types=tuple(FORMAL_REQUEST_TYPES)[:1]), max_open=1)  # a held row is not an open draft
        assert store.take_held("s1") == f"Please delete everything. My e-mail is {EMAIL}"
        assert store.take_held("s1") is None

    def test_a_held_original_expires_like_a_draft(self, store: DraftStore, clock: ManualClock) -> None:
        store.hold("s1", f"Please delete my data. My e-mail is {EMAIL}")
        clock.advance(timedelta(hours=24, minutes=1))
        assert store.purge_expired() == 1
        assert store.take_held("s1") is None

    def test_deleting_a_session_deletes_its_drafts_and_held_original_at_once(self, store: DraftStore) -> None:
        waiting = store.open(_draft())
        submitted = store.open(_draft(types=("disclosure",)))
        store.mark_submitted(submitted.id, "PRQ-000007")
        store.hold("s1", f"Please delete everything. My e-mail is {EMAIL}")
        other = store.open(_draft(session="s2"))
        store.hold("s2", "Please delete my data")
        assert store.delete_session("s1") == 3
        for draft in (waiting, submitted):
            with pytest.raises(DraftNotFoundError):
                store.get(draft.id, "s1")
        assert store.take_held("s1") is None
        assert store.delete_session("s1") == 0 and store.delete_session("no-such-session") == 0
        assert store.get(other.id, "s2") == other and store.take_held("s2") == "Please delete my data"  # another session's stay
        assert store.open(_draft()).id not in {waiting.id, submitted.id}  # asked again, it is a new draft


# -- embedder ----------------------------------------------------------------------------------
TEXTS = (
    "How much does a disclosure request cost?",
    "What fee is charged for a disclosure request?",
    "The weather in Tokyo is sunny today.",
)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))


class EmbedderContract:
    """An Embedder turns texts into unit float32 rows, the same for a text whatever batch it is in,
    and counts the tokens its window holds."""

    @pytest.fixture
    def embedder(self) -> Embedder:
        """The embedder under test."""
        raise NotImplementedError

    def test_names_itself_and_its_dimensions(self, embedder: Embedder) -> None:
        assert isinstance(embedder.name, str) and embedder.name
        assert isinstance(embedder.dimensions, int) and embedder.dimensions > 0

    def test_rows_are_unit_float32(self, embedder: Embedder) -> None:
        vectors = embedder.embed(list(TEXTS))
        assert vectors.shape == (len(TEXTS), embedder.dimensions) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_an_empty_batch_is_an_empty_matrix(self, embedder: Embedder) -> None:
        assert embedder.embed([]).shape == (0, embedder.dimensions)

    def test_a_text_embeds_the_same_alone_or_in_a_batch(self, embedder: Embedder) -> None:
        batch = embedder.embed(list(TEXTS))
        for i, text in enumerate(TEXTS):
            assert _cosine(embedder.embed([text])[0], batch[i]) > 0.9999

    def test_similar_texts_are_closer_than_unrelated_ones(self, embedder: Embedder) -> None:
        fee, charged, weather = embedder.embed(list(TEXTS))
        assert _cosine(fee, charged) > _cosine(fee, weather)

    def test_threads_embedding_at_once_get_their_own_vectors(self, embedder: Embedder) -> None:
        # A server's request threads embed concurrently.
        from concurrent.futures import ThreadPoolExecutor

        texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(25)] + [f"個人情報の利用目的 {i}" for i in range(25)]
        alone = embedder.embed(texts)
        with ThreadPoolExecutor(max_workers=4) as pool:
            together = list(pool.map(lambda _: embedder.embed(texts), range(8)))
        for vectors in together:
            np.testing.assert_allclose(vectors, alone, atol=1e-5)

    def test_tokens_are_counted_and_the_window_is_known(self, embedder: Embedder) -> None:
        short, long = embedder.count_tokens("fee"), embedder.count_tokens("fee " * 50)
        assert isinstance(short, int) and 1 <= short < long
        assert embedder.max_tokens is None or (isinstance(embedder.max_tokens, int) and embedder.max_tokens > 0)


# -- notifier ----------------------------------------------------------------------------------
def sample_ticket(company: str = "upward", number: int = 1) -> Ticket:
    """A ticket as the desk queue returns it on opening."""
    return Ticket(
        id=f"PRQ-{number:06d}",
        status="received",
        request_types=("deletion",),
        company=company,
        proxy=False,
        created_at="2026-01-05T09:00:00+00:00",
        due_at="2026-01-19T09:00:00+00:00",
        lookup_token="token",
    )


class NotifierContract:
    """A TicketNotifier returns at once and never raises into the request that opened the ticket,
    whether or not anyone is listening."""

    @pytest.fixture
    def notifier(self) -> TicketNotifier:
        """The notifier under test; a receiver it knows of is down."""
        raise NotImplementedError

    @pytest.mark.parametrize("company", ["upward", "a-company-with-no-receiver"])
    def test_notify_returns_at_once_and_quietly(self, notifier: TicketNotifier, company: str) -> None:
        started = time.monotonic()
        notifier.notify(sample_ticket(company))
        assert time.monotonic() - started < 1.0

    def test_a_burst_of_tickets_never_blocks_or_raises(self, notifier: TicketNotifier) -> None:
        started = time.monotonic()
        for n in range(300):
            notifier.notify(sample_ticket(number=n))
        assert time.monotonic() - started < 2.0


# -- retriever ---------------------------------------------------------------------------------
class RetrieverContract:
    """A Retriever ranks one company's clauses and passages, best first, never another company's."""

    @pytest.fixture
    def retriever(self) -> Retriever:
        """The retriever under test, over an index of the companies in `companies`."""
        raise NotImplementedError

    @pytest.fixture
    def companies(self) -> Sequence[str]:
        """At least two companies of the retriever's index."""
        raise NotImplementedError

    @pytest.fixture
    def queries(self) -> Sequence[str]:
        """Questions the policies speak to."""
        return ("How much is the fee for a disclosure request?", "What personal information do you collect?")

    def test_query_embeddings_one_row_each(self, retriever: Retriever, queries: Sequence[str]) -> None:
        vectors = retriever.embed_queries(list(queries))
        assert vectors.shape == (len(queries), retriever.embedder.dimensions)
        assert retriever.embed_queries([]).shape[0] == 0

    def test_retrieve_ranks_at_most_k_clauses_of_that_company(
        self, retriever: Retriever, companies: Sequence[str], queries: Sequence[str]
    ) -> None:
        for company in companies:
            for query in queries:
                ranking = retriever.retrieve(query, company, k=5)
                assert 0 < len(ranking) <= 5
                assert all(r.chunk.company == company for r in ranking)
                assert len({r.chunk.id for r in ranking}) == len(ranking)
                scores = [r.score for r in ranking]
                assert scores == sorted(scores, reverse=True)

    def test_a_given_vector_is_the_querys_own(self, retriever: Retriever, companies: Sequence[str], queries: Sequence[str]) -> None:
        vector = retriever.embed_queries([queries[0]])[0]
        plain = retriever.retrieve(queries[0], companies[0])
        assert [r.chunk.id for r in retriever.retrieve(queries[0], companies[0], vector=vector)] == [r.chunk.id for r in plain]
        with_vector = retriever.select_evidence(queries[0], companies[0], plain, vector=vector)
        assert [(e.chunk.id, e.span) for e in with_vector] == [
            (e.chunk.id, e.span) for e in retriever.select_evidence(queries[0], companies[0], plain)
        ]

    def test_nothing_for_an_unknown_company_or_a_blank_query(self, retriever: Retriever, companies: Sequence[str]) -> None:
        assert retriever.retrieve("fees", "no-such-company") == []
        assert retriever.retrieve("   ", companies[0]) == []
        assert retriever.select_evidence("fees", "no-such-company", []) == []
        assert retriever.select_evidence("  ", companies[0], []) == []

    def test_evidence_is_that_companys_whatever_the_clauses_given(
        self, retriever: Retriever, companies: Sequence[str], queries: Sequence[str]
    ) -> None:
        mine, other = companies[0], companies[1]
        for query in queries:
            foreign = retriever.retrieve(query, other)
            evidence = retriever.select_evidence(query, mine, foreign, max_chunks=4)
            assert evidence and len(evidence) <= 4
            assert all(e.chunk.company == mine for e in evidence)
            assert all(e.span in e.chunk.spans for e in evidence)
            scores = [e.score for e in evidence]
            assert scores == sorted(scores, reverse=True)


# -- intent detector ---------------------------------------------------------------------------
MESSAGES = (
    "How much does a disclosure request cost?",
    "Please delete all the personal data you hold about me.",
    "I request disclosure of my mother's personal data on her behalf.",
    "I want to complain: you leaked my address without my consent!",
    "Write me a poem about GPUs.",
    "Hi! Do you share my data with partners? Thanks.",
    "開示請求をするときの手数料はいくらになりますか？",
    "父に代わって、父の個人情報の消去を請求いたします。",
    "お世話になっております。私の情報が勝手に他社に渡っていました。強く抗議します。",
)


class IntentDetectorContract:
    """An IntentDetector reads one message into a known intent, with request types only for
    requests and complaints, and gives the same answer when handed the message's embedding."""

    @pytest.fixture
    def detector(self) -> IntentDetector:
        """The detector under test."""
        raise NotImplementedError

    @pytest.fixture
    def vector_of(self) -> Callable[[str], np.ndarray]:
        """The embedding the facade would pass for a message (of its core, pleasantries stripped)."""
        raise NotImplementedError

    @pytest.mark.parametrize("message", MESSAGES)
    def test_a_known_intent_with_consistent_request_types(self, detector: IntentDetector, message: str) -> None:
        result = detector.detect(message)
        assert result.intent in INTENTS and 0.0 <= result.confidence <= 1.0
        if result.intent == "formal_request":
            assert result.request_types and set(result.request_types) <= set(FORMAL_REQUEST_TYPES)
        elif result.intent == "complaint":
            assert result.request_types == ("complaint",)
        else:
            assert result.request_types == () and not result.proxy

    @pytest.mark.parametrize("message", MESSAGES)
    def test_the_messages_embedding_changes_nothing(
        self, detector: IntentDetector, vector_of: Callable[[str], np.ndarray], message: str
    ) -> None:
        alone, given = detector.detect(message), detector.detect(message, vector=vector_of(message))
        assert (given.intent, given.request_types, given.proxy) == (alone.intent, alone.request_types, alone.proxy)
        assert given.confidence == pytest.approx(alone.confidence, abs=1e-5)


def core_vector(embedder: Embedder) -> Callable[[str], np.ndarray]:
    """`vector_of` for detectors that embed a message's core with `embedder`."""
    return lambda message: embedder.embed([strip_pleasantries(message)])[0]


# -- phraser -----------------------------------------------------------------------------------
PASSAGES = (
    (1, "A request for disclosure costs 1,000 yen per request, paid by bank transfer."),
    (2, "We answer requests within two weeks of receiving them."),
)
PASSAGES_JA = ((3, "開示請求の手数料は、1件につき1,000円です。"),)


class PhraserContract:
    """A Phraser returns the model's text, stripped and never empty, or raises PhrasingError: never another
    error (a model's failure must not fail the reply), and never text from no passages at all. What the
    text says, its markers included, is the model's: the verifier judges it, not the phraser."""

    @pytest.fixture
    def phraser(self) -> Phraser:
        """The phraser under test."""
        raise NotImplementedError

    @pytest.mark.parametrize(
        ("question", "passages", "lang"),
        [("How much does a disclosure request cost?", PASSAGES, "en"), ("開示請求の手数料はいくらですか？", PASSAGES_JA, "ja")],
    )
    def test_text_or_a_phrasing_error(self, phraser: Phraser, question: str, passages: Sequence[tuple[int, str]], lang: str) -> None:
        try:
            text = phraser.phrase(question, passages, lang)  # type: ignore[arg-type]
        except PhrasingError as exc:
            assert exc.reason in ("timeout", "error", "refusal", "empty")
            return
        assert isinstance(text, str) and text.strip() == text and text

    def test_no_passages_is_a_phrasing_error(self, phraser: Phraser) -> None:
        with pytest.raises(PhrasingError):
            phraser.phrase("How much does a disclosure request cost?", (), "en")

    def test_it_can_be_called_again(self, phraser: Phraser) -> None:
        """A failure or an answer leaves the phraser usable: the server keeps one for every request."""
        for _ in range(3):
            with contextlib.suppress(PhrasingError):
                phraser.phrase("How long do you take to answer?", PASSAGES, "en")
