"""The facade: `Assistant.reply()` is what the API, the CLI and the evals all call."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answering.compose import Composer, draft_fields, procedure_steps
from assistant.answering.procedure import ProcedurePoint, find_procedure
from assistant.answering.summary import Summariser, Summary, with_summary
from assistant.backoffice import Backoffice, RequestLimits
from assistant.desk.drafts import DraftStore, NewDraft
from assistant.desk.tickets import DeskQueue
from assistant.desk.webhooks import NullNotifier, TicketNotifier
from assistant.domain import Citation, Company, Document, DraftOffer, Evidence, Reply, ScoredChunk, Ticket
from assistant.errors import InvalidMessageError, StorageUnavailableError, UnknownCompanyError
from assistant.index.builds import LoadedIndex, Manifest
from assistant.search.lexical import tokenize
from assistant.search.retrieval import Retriever
from assistant.storage.db import iso_utc, new_id
from assistant.storage.sessions import SessionState, SessionStore, TurnRecord
from assistant.understand.companies import CompanyDirectory
from assistant.understand.followup import asks, interrogative, leans_on_previous
from assistant.understand.intent import IntentDetector, IntentResult
from assistant.understand.language import Language, detect_language
from assistant.understand.pleasantries import strip_pleasantries
from assistant.understand.redact import redact
from assistant.understand.status import asks_for_status, references
from assistant.vocabulary import DEFAULT_MAX_MESSAGE_CHARS

log = logging.getLogger(__name__)


def _word_count(text: str) -> int:
    """Words of `text`: Japanese has no spaces between words, so its content words are counted instead."""
    if detect_language(text) == "ja":
        return len(tokenize(text))
    return len(text.split())


@dataclass(frozen=True)
class Limits:
    """Input limits enforced by the facade itself (the API asks the facade, see `check_message`)."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS


@dataclass(frozen=True)
class RoutingPolicy:
    """The thresholds the facade routes a message by (how likely a passage must be to answer is `AnswerPolicy`)."""

    follow_up_off_topic: float = 0.8
    """A follow-up read as off-topic with less confidence than this is taken as a follow-up, not refused."""
    certain_off_topic: float = 0.95
    """From this confidence an off-topic reading stands without asking the policy (dev halves: on-topic
    messages read as off-topic at up to 0.85, tasks at 0.98 and more)."""
    clauses: int = 8
    """Clauses ranked for a question (and for the check whether the policy covers an off-topic reading)."""
    staff_passages_per_clause: int = 8
    """Staff search asks for this many passages per clause wanted: several passages share one clause."""
    resume_words: int = 3
    """After a clarify question, a reply of at most this many words besides a company name resumes the pending message."""
    follow_up_words: int = 4
    """A message of at most this many words that asks, and reads off-topic alone, is read with the last turn."""
    unsure_request: float = 0.5
    """A request or complaint reading with no majority (less likely than this) that asks a question is answered as one."""
    last_query_chars: int = 400
    """The end of the query kept for follow-ups, which chain onto it, so it cannot grow without bound."""


@dataclass(frozen=True)
class Trace:
    """What happened inside one reply, for evaluators (not part of the public API)."""

    intent: IntentResult | None
    query: str | None
    ranking: tuple[ScoredChunk, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    seconds: float = 0.0
    summary: Summary | None = None  # what phrasing wrote and which sentences the verifier kept


class Assistant:
    """Answers one message at a time, grounded in one company's policy."""

    routing: RoutingPolicy = RoutingPolicy()  # the same for every instance unless one is given its own

    def __init__(
        self,
        index: LoadedIndex,
        directory: CompanyDirectory,
        retriever: Retriever,
        intents: IntentDetector,
        composer: Composer,
        sessions: SessionStore,
        desk: DeskQueue,
        limits: Limits | None = None,
        notifier: TicketNotifier | None = None,
        drafts: DraftStore | None = None,
        request_limits: RequestLimits | None = None,
        summariser: Summariser | None = None,
    ) -> None:
        self.index = index
        self.directory = directory
        self.retriever = retriever
        self.intents = intents
        self.composer = composer
        self.sessions = sessions
        self.desk = desk
        self.limits = limits or Limits()
        self.notifier = notifier or NullNotifier()
        self.drafts = drafts  # None: formal requests cannot be submitted (POST /v1/requests answers 422)
        self.request_limits = request_limits or RequestLimits()
        self.summariser = summariser  # None: answers are the quotes alone (PA_LLM_BACKEND=none)
        # The procedure for a kind of request depends only on the loaded index: compute once.
        self._procedures: dict[tuple[str, tuple[str, ...], bool], list[ProcedurePoint]] = {}

    # -- public API -------------------------------------------------------------------------
    def companies(self) -> list[Company]:
        """The companies the assistant serves."""
        return self.directory.companies

    def company(self, company_id: str) -> Company:
        """The company with this id; UnknownCompanyError otherwise."""
        company = self.directory.get(company_id)
        if company is None:
            raise UnknownCompanyError(company_id, self.directory.ids)
        return company

    def documents(self, company_id: str) -> list[Document]:
        """The documents of this company's policy that citations point into; UnknownCompanyError otherwise."""
        company = self.company(company_id)
        return [d for d in self.index.documents.values() if d.company == company.id]

    @property
    def manifest(self) -> Manifest:
        """What the index build this assistant answers from was made of."""
        return self.index.manifest

    def backoffice(self) -> Backoffice:
        """The company list, sessions and desk queue this assistant uses, as the facade the no-index paths use."""
        return Backoffice(self.directory, self.sessions, self.desk, self.drafts, self.request_limits, self.notifier)

    def check_message(self, message: str) -> None:
        """InvalidMessageError when `message`, as sent, is longer than the configured limit.

        The API calls it first, so an over-long message is refused before anything is looked up;
        `reply` checks it again with the surrounding whitespace stripped."""
        if len(message) > self.limits.max_message_chars:
            raise self._too_long(message)

    def _too_long(self, message: str) -> InvalidMessageError:
        limit = self.limits.max_message_chars
        # The error speaks the message's language (read from as much of it as may be sent).
        detected = detect_language(message[:limit])
        language = None if detected == "other" else detected
        return InvalidMessageError.coded("message_too_long", language=language, length=len(message), limit=limit)

    def reply(
        self,
        message: str,
        company: str | None = None,
        session_id: str | None = None,
    ) -> Reply:
        """Answer, route to the desk, abstain or ask which company; remembers the session."""
        return self.reply_traced(message, company, session_id)[0]

    def reply_traced(
        self,
        message: str,
        company: str | None = None,
        session_id: str | None = None,
    ) -> tuple[Reply, Trace]:
        """`reply`, and what happened inside it (intent, query, ranking, evidence, time) for evaluators."""
        started = time.perf_counter()
        text = self._validate(message)
        explicit = self.company(company).id if company else None
        try:
            state = self.sessions.load(session_id)
        except StorageUnavailableError:
            # Without the database we still answer, just without follow-up context.
            log.warning("session store unavailable; answering without context")
            # Not known to be new: recording must look for an existing row.
            state = SessionState(session_id or new_id(), is_new=session_id is None)
        reply, record, trace = self._decide(text, explicit, state)
        try:
            self.sessions.record(state, record)
        except StorageUnavailableError:
            log.warning("session store unavailable; turn not stored")
        trace = replace(trace, seconds=time.perf_counter() - started)
        log.info("reply route=%s company=%s intent=%s message=%r", reply.route, reply.company, reply.intent, redact(text)[:200])
        return reply, trace

    def search(self, query: str, companies: Sequence[str], k: int = 10) -> list[tuple[Citation, str]]:
        """Clause look-up across companies for staff: best passages with their clause text."""
        results: list[tuple[Citation, str]] = []
        chosen = [self.company(cid) for cid in companies]  # an unknown id fails before any work
        vector = self.retriever.embed_queries([query])[0] if query.strip() else None  # one for all
        for company in chosen:
            ranking = self.retriever.retrieve(query, company.id, k=k, vector=vector)
            # Several passages share a clause: ask for enough to fill k distinct clauses.
            max_chunks = self.routing.staff_passages_per_clause * k
            evidence = self.retriever.select_evidence(query, company.id, ranking, max_chunks=max_chunks, vector=vector)
            seen: set[str] = set()
            for ev in evidence:
                if ev.chunk.id in seen:
                    continue
                seen.add(ev.chunk.id)
                cite = self.composer.citations(company.id, [ev])[0]
                results.append((cite, ev.chunk.text))
        results.sort(key=lambda r: -r[0].score)
        return results[:k]

    # -- decisions --------------------------------------------------------------------------
    def _validate(self, message: str) -> str:
        text = (message or "").strip()
        if not text:
            raise InvalidMessageError.coded("message_empty")
        if len(text) > self.limits.max_message_chars:
            raise self._too_long(text)
        return text

    def _decide(self, text: str, explicit: str | None, state: SessionState) -> tuple[Reply, TurnRecord, Trace]:
        core = strip_pleasantries(text)  # without greetings and sign-offs ("Hi! ... Thanks, Ken")
        mentioned = self.directory.find_in_text(text)
        # A bare company name after a clarify question resumes the pending message.
        if state.pending_message and mentioned and _word_count(self.directory.strip_names(core)) <= self.routing.resume_words:
            # A request becomes its draft as typed (contact details included), from the original the
            # draft store held; the session's redacted copy serves when there is none.
            pending = self._take_held(state) or state.pending_message
            return self._decide(pending, mentioned, replace(state, pending_message=None))
        if state.pending_message:
            self._take_held(state)  # not resumed: the held original goes now, not at its expiry
        company_id = explicit or mentioned or state.company
        # Every text of the reply is in the message's language; another language is told which two are spoken.
        detected = detect_language(text)
        if detected == "other":
            reply = Reply(state.id, "abstain", self.composer.unsupported_language(), company=company_id, reason="unsupported_language")
            return self._finish(state, text, reply, company_id, Trace(intent=None, query=None))
        lang: Language = detected
        if not state.is_new and asks_for_status(core):
            # "What is the status of my request?" is answered from the session's own ticket, not the policy.
            status = self._request_status(text, explicit, mentioned, state, lang)
            if status is not None:
                reply, kept = status
                return self._finish(state, text, reply, company_id or reply.company, Trace(intent=None, query=None), transcript=kept)
        own = self.directory.what_is_asked(text)
        # One embedding serves intent detection and retrieval: a second, of the message as
        # typed, cost 5.6 ms of CPU, a third of a reply.
        vector = self.retriever.embed_queries([own])[0]
        intent = self.intents.detect(own, vector=vector)
        # "So, does that apply to cookies?" and "... apply to cookies? Thanks" both lean on the last turn.
        leans = leans_on_previous(text) or leans_on_previous(core)
        follow_up = state.last_query is not None and leans and not mentioned
        rereads = state.last_query and not mentioned and intent.intent == "out_of_scope" and asks(core)
        if rereads and (follow_up or _word_count(own) <= self.routing.follow_up_words):
            # "URLを教えてください" alone is off-topic; after a question about the privacy desk it asks
            # for the desk's address: a short message that asks is read with the turn before it.
            # ("Thanks for that" asks nothing and stays a thank-you.)
            in_context = self.intents.detect(f"{state.last_query} {own}")
            if in_context.intent == "question":
                intent, follow_up = in_context, True
        if intent.intent in ("formal_request", "complaint") and intent.confidence < self.routing.unsure_request and interrogative(core):
            # 「開示を求めたけど、…持っていなかった場合はどうなるのでしょう。」 asks how a request goes:
            # answered from the policy, which says how to make one, rather than filed.
            intent = replace(intent, intent="question", request_types=(), proxy=False)
        trace = Trace(intent=intent, query=None)

        if intent.intent == "out_of_scope" and not (follow_up and intent.confidence < self.routing.follow_up_off_topic):
            company = self.directory.get(company_id) if company_id else None
            # Unless the classifier is all but certain (a poem, a recipe), the company's own policy
            # decides: "What is Glean?" reads as off-topic until the policy turns out to describe
            # Glean.
            if company is None or intent.confidence >= self.routing.certain_off_topic or not self._strongly_covered(own, vector, company):
                return self._finish(
                    state,
                    text,
                    Reply(
                        state.id,
                        "abstain",
                        self.composer.off_topic(company, lang=lang),
                        company=company_id,
                        reason="off_topic",
                        intent=intent.intent,
                    ),
                    company_id,
                    trace,
                )
        if company_id is None:
            reply = Reply(state.id, "clarify", self.composer.clarify(self.directory.companies, lang=lang), intent=intent.intent)
            if intent.intent in ("formal_request", "complaint"):
                self._hold(state.id, text)
            # The session keeps it redacted: the original, for the draft it may become, only the draft store holds.
            return self._finish(state, text, reply, None, trace, pending=redact(text))
        company = self.company(company_id)
        if intent.intent in ("formal_request", "complaint"):
            return self._finish(state, text, self._route_to_desk(text, company, intent, state, lang), company.id, trace)
        if explicit and mentioned and mentioned != explicit:
            # A widget bound to one company answers questions for that company only: say so, and
            # where the other company's customers can ask, instead of answering from the wrong
            # policy. (Requests and complaints above still reach this company's desk.)
            other = self.company(mentioned)
            reply = Reply(
                state.id,
                "abstain",
                self.composer.other_company(company, other, lang=lang),
                company=company.id,
                reason="other_company",
                intent=intent.intent,
            )
            return self._finish(state, text, reply, company.id, trace)
        # The company is settled; its name in the query (read as "it") would only match letterheads.
        query = f"{state.last_query} {own}" if follow_up and state.last_query else own
        qvec = vector if query == own else None  # a follow-up's combined query has its own embedding
        ranking = self.retriever.retrieve(query, company.id, k=self.routing.clauses, vector=qvec)
        # A follow-up's combined query ranks; the kind of fact asked is this message's own.
        evidence = self.retriever.select_evidence(query, company.id, ranking, vector=qvec, asks=own)
        trace = Trace(intent=intent, query=query, ranking=tuple(ranking), evidence=tuple(evidence))
        chosen = None
        if follow_up and state.last_cited:
            # A follow-up asks for more than the last answer gave: quote what it did not, unless
            # the passage already quoted is by far the best answer to it.
            fresh = [ev for ev in evidence if not ev.overlaps_any(state.last_cited)]
            if fresh and evidence and self.composer.worth_quoting_beside(fresh[0], evidence[0]):
                chosen = self.composer.select(own, fresh, quoted_before=state.last_cited)
        chosen = chosen or self.composer.select(own, evidence)
        if chosen is None:
            reply = Reply(
                state.id,
                "abstain",
                self.composer.not_covered(company, text, lang=lang),
                company=company.id,
                reason="not_covered",
                intent=intent.intent,
            )
            return self._finish(state, text, reply, company.id, trace, last_query=query)
        answer, cites = self.composer.compose(company, text, chosen, lang=lang)
        summary = None
        if self.summariser is not None:
            # Only answers are phrased: requests, desk text, abstentions and clarifications never are.
            # The message as typed, with any contact details or names in it masked: the model may be a remote service.
            summary = self.summariser.summarise(redact(text), company.id, cites, lang)
            answer = with_summary(answer, summary, lang)
            trace = replace(trace, summary=summary)
        reply = Reply(
            state.id, "answer", answer, tuple(cites), company=company.id, intent=intent.intent, summary=summary.text if summary else None
        )
        return self._finish(state, text, reply, company.id, trace, last_query=query, cited=tuple((c.doc_id, c.start, c.end) for c in cites))

    def _hold(self, session_id: str, text: str) -> None:
        """Keep a clarified request's original in the draft store until the customer names the company."""
        if self.drafts is None:
            return
        try:
            self.drafts.hold(session_id, text)
        except StorageUnavailableError:
            log.warning("draft store unavailable; a resumed request will carry the redacted copy")

    def _take_held(self, state: SessionState) -> str | None:
        """The held original of the session's pending message (removed from the store), if it is that one's."""
        if self.drafts is None:
            return None
        try:
            held = self.drafts.take_held(state.id)
        except StorageUnavailableError:
            log.warning("draft store unavailable; resuming from the redacted copy")
            return None
        # Held and pending are written in one turn; a failure between them must not resume another message.
        return held if held is not None and redact(held) == state.pending_message else None

    def _request_status(
        self, text: str, explicit: str | None, mentioned: str | None, state: SessionState, lang: Language
    ) -> tuple[Reply, str] | None:
        """The status of the session's latest ticket (or the one `text` names by reference, else the
        latest to the company it names), and the reply as the transcript keeps it (without the
        desk's message: that stays in the ticket); None when the session has none.

        A widget bound to one company sees only that company's tickets. StorageUnavailableError
        propagates: quoting the policy instead would answer another question."""
        tickets = [t for t in self.desk.for_session(state.id) if explicit is None or t.company == explicit]
        if not tickets:
            return None
        named = set(references(text))
        ticket = next((t for t in tickets if t.id in named), None)
        if ticket is None and mentioned is not None:
            # "And my request to Highreso?": that company's request, or none; never another company's instead.
            ticket = next((t for t in tickets if t.company == mentioned), None)
            if ticket is None:
                return self._no_request_to(mentioned, tickets, state, lang)
        ticket = ticket or tickets[0]
        company = self.directory.get(ticket.company)
        if company is None:
            return None
        last = next((m for m in reversed(self.desk.messages(ticket.id)) if m.sender == "desk"), None)
        others = [t.id for t in tickets if t.id != ticket.id]
        said = (last.at, last.text) if last else None
        answer = self.composer.request_status(company, ticket, said, others, lang=lang)
        kept = self.composer.request_status(company, ticket, said, others, lang=lang, withhold_message=True)
        return Reply(state.id, "answer", answer, company=company.id, intent="request_status"), kept

    def _no_request_to(self, company_id: str, tickets: Sequence[Ticket], state: SessionState, lang: Language) -> tuple[Reply, str] | None:
        """The reply to a status asked of a company the session has no request to (naming those it has)."""
        company = self.directory.get(company_id)
        if company is None:
            return None
        answer = self.composer.no_request_to(company, [t.id for t in tickets], lang=lang)
        return Reply(state.id, "answer", answer, company=company.id, intent="request_status"), answer

    def _strongly_covered(self, text: str, vector: np.ndarray, company: Company) -> bool:
        ranking = self.retriever.retrieve(text, company.id, k=self.routing.clauses, vector=vector)
        evidence = self.retriever.select_evidence(text, company.id, ranking, vector=vector)
        return self.composer.strongly_answers(evidence)

    def _route_to_desk(self, text: str, company: Company, intent: IntentResult, state: SessionState, lang: Language = "en") -> Reply:
        doc = self.index.documents.get(company.id) or next(d for d in self.index.documents.values() if d.company == company.id)
        if self.drafts is None:
            raise StorageUnavailableError("draft store unavailable: none configured")
        # A draft, not a ticket: the customer confirms it with contact details (POST /v1/requests).
        # The same request again in this session finds the same draft (or its reference, once
        # submitted). StorageUnavailableError propagates: the API answers 503.
        draft = self.drafts.open(
            NewDraft(state.id, company.id, intent.request_types, intent.proxy, doc.version, text),
            max_open=self.request_limits.max_open_drafts,
        )
        key = (company.id, tuple(sorted(draft.request_types)), draft.proxy)
        points = self._procedures.get(key)
        if points is None:
            points = find_procedure(self.retriever, company, draft.request_types, draft.proxy)
            self._procedures[key] = points
        answer, cites = self.composer.desk(
            company, draft.request_types, draft.proxy, points, submitted=draft.submitted_reference, lang=lang
        )
        offer = DraftOffer(
            id=draft.id,
            company=company.id,
            request_types=draft.request_types,
            proxy=draft.proxy,
            fields=draft_fields(company, lang),
            procedure=procedure_steps(points, cites, lang),
            expires_at=iso_utc(draft.expires_at),
            reference=draft.submitted_reference,
        )
        return Reply(state.id, "desk", answer, tuple(cites), company=company.id, intent=intent.intent, request_draft=offer)

    def _finish(
        self,
        state: SessionState,
        text: str,
        reply: Reply,
        company: str | None,
        trace: Trace,
        last_query: str | None = None,
        pending: str | None = None,
        cited: tuple[tuple[str, int, int], ...] = (),
        transcript: str | None = None,
    ) -> tuple[Reply, TurnRecord, Trace]:
        """The reply and the turn the session keeps (`transcript`: the reply's text as kept, when not the reply's own)."""
        record = TurnRecord(
            user_text=text,
            reply_text=reply.answer if transcript is None else transcript,
            route=reply.route,
            company=company or state.company,
            last_query=(last_query or state.last_query or "")[-self.routing.last_query_chars :] or None,
            pending_message=pending,
            cited=cited,
        )
        return reply, record, trace
