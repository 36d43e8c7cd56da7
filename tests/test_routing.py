"""The facade's routing on fakes (assistant/testing/fakes.py): routes, clarify and resume,
follow-ups, desk routing (a draft to confirm) and repeated requests, with no model loaded.

Intents come from `FakeIntentDetector` rules, passages from `KeywordRetriever` (the share of a
question's terms a passage holds), sessions and tickets from the in-memory stores; the composer
and the company directory are the real ones, over the hash-embedded index of the real corpus.
What the real model makes of these messages is tests/test_service.py's subject (slow)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from assistant.backoffice import Submission
from assistant.desk.drafts import NewDraft, RequestDraft
from assistant.desk.tickets import TicketFilter
from assistant.domain import Company, Contact, Reply
from assistant.errors import InvalidMessageError, StorageUnavailableError, UnknownCompanyError
from assistant.index.builds import LoadedIndex
from assistant.ingest.corpus import load_companies
from assistant.service import Assistant, Limits
from assistant.storage.sessions import SessionState, TurnRecord
from assistant.testing.fakes import (
    FakeIntentDetector,
    InMemoryDeskQueue,
    InMemoryDraftStore,
    InMemorySessionStore,
    KeywordRetriever,
    RecordingNotifier,
    fake_assistant,
)
from assistant.understand.intent import IntentResult
from tests.conftest import CORPUS

COMPANIES = ("highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno")

# What the fake detector reads each kind of test message as (first match wins; else a question).
RULES: tuple[tuple[str, IntentResult], ...] = (
    (r"\b(poem|haiku|joke|weather)\b", IntentResult("out_of_scope", 0.99)),
    (r"\b(quasars?|it logistics)\b", IntentResult("out_of_scope", 0.6)),  # unsure
    (r"\bcomplain", IntentResult("complaint", 0.9, ("complaint",))),
    (r"\bon (his|her|their) behalf\b", IntentResult("formal_request", 0.9, ("disclosure",), proxy=True)),
    (r"\bdelete\b", IntentResult("formal_request", 0.95, ("deletion",))),
    (r"\bstop using my data\b", IntentResult("formal_request", 0.95, ("suspension_of_use",))),
    (r"\bi hereby request\b", IntentResult("formal_request", 0.95, ("disclosure",))),
    (r"\berase\b", IntentResult("formal_request", 0.4, ("deletion",))),  # unsure
)


@pytest.fixture(scope="module")
def companies() -> list[Company]:
    return load_companies(CORPUS)


@pytest.fixture
def retriever(hash_index: LoadedIndex) -> KeywordRetriever:
    return KeywordRetriever(hash_index)


@pytest.fixture
def intents() -> FakeIntentDetector:
    return FakeIntentDetector(RULES)


@pytest.fixture
def desk() -> InMemoryDeskQueue:
    return InMemoryDeskQueue()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def drafts() -> InMemoryDraftStore:
    return InMemoryDraftStore()


@pytest.fixture
def sessions() -> InMemorySessionStore:
    return InMemorySessionStore()


@pytest.fixture
def assistant(
    hash_index: LoadedIndex,
    companies: list[Company],
    retriever: KeywordRetriever,
    intents: FakeIntentDetector,
    desk: InMemoryDeskQueue,
    notifier: RecordingNotifier,
    sessions: InMemorySessionStore,
    drafts: InMemoryDraftStore,
) -> Assistant:
    return fake_assistant(
        hash_index, companies, intents=intents, retriever=retriever, desk=desk, notifier=notifier, sessions=sessions, drafts=drafts
    )


def _submit(assistant: Assistant, reply: Reply) -> Submission:
    assert reply.request_draft is not None
    return Submission(reply.request_draft.id, reply.session_id, Contact(email="hanako@example.org"), True)


def _policy(company: str) -> str:
    return (CORPUS / f"{company}.txt").read_text(encoding="utf-8")


def _assert_cited_verbatim(reply: Reply) -> None:
    assert reply.citations
    for c in reply.citations:
        assert c.company == reply.company and _policy(c.company)[c.start : c.end] == c.text
    assert {int(m) for m in re.findall(r"\[(\d+)\]", reply.answer)} == {c.id for c in reply.citations}


def _cited(reply: Reply) -> set[tuple[str, int, int]]:
    return {(c.doc_id, c.start, c.end) for c in reply.citations}


# -- answers -----------------------------------------------------------------------------------
def test_a_question_naming_a_company_is_answered_from_its_policy(assistant: Assistant) -> None:
    reply = assistant.reply("How much does UPWARD charge for a disclosure request?")
    assert reply.route == "answer" and reply.company == "upward" and reply.intent == "question"
    assert reply.ticket is None
    _assert_cited_verbatim(reply)


def test_a_question_the_policy_does_not_answer_abstains_and_names_the_desk(assistant: Assistant) -> None:
    reply = assistant.reply("What is your stance on zeppelin telemetry?", company="gmo-ai-robotics")
    assert reply.route == "abstain" and reply.reason == "not_covered" and not reply.citations
    assert "does not say" in reply.answer
    desk = assistant.company("gmo-ai-robotics")
    assert (desk.desk_email or desk.desk_url or desk.desk_address or desk.desk_name) in reply.answer


def test_a_procedure_question_is_answered_not_ticketed(assistant: Assistant, desk: InMemoryDeskQueue) -> None:
    reply = assistant.reply("How would I request deletion of my data?", company="win-techno")
    assert reply.route == "answer" and reply.ticket is None
    assert desk.list(TicketFilter(include_eval=True)) == ([], 0)


def test_an_unsure_request_reading_of_a_question_is_answered(assistant: Assistant, desk: InMemoryDeskQueue) -> None:
    asked = assistant.reply("If I asked you to erase my data, how would I request deletion?", company="win-techno")
    assert asked.route == "answer" and asked.intent == "question" and asked.ticket is None
    assert desk.list(TicketFilter(include_eval=True)) == ([], 0)
    told = assistant.reply("Erase my data.", company="win-techno")  # as unsure, but it asks nothing: the desk
    assert told.route == "desk" and told.intent == "formal_request"


def test_one_embedding_per_message_serves_intent_and_retrieval(
    assistant: Assistant, retriever: KeywordRetriever, intents: FakeIntentDetector
) -> None:
    assistant.reply("Hi! Does Highreso use cookies? Thanks.")
    # Greetings left out, the company read as "it": what is asked, embedded once and handed on.
    assert retriever.embedded == ["Does it use cookies?"]
    assert intents.calls == [("Does it use cookies?", True)]
    assert retriever.queries == ["Does it use cookies?"]


# -- clarify and resume ------------------------------------------------------------------------
def test_no_company_then_clarify_then_a_bare_company_name_resumes(assistant: Assistant, retriever: KeywordRetriever) -> None:
    first = assistant.reply("What do you use my personal data for?")
    assert first.route == "clarify" and not first.citations and first.company is None
    assert all(cid in first.answer for cid in COMPANIES)
    second = assistant.reply("Win Techno", session_id=first.session_id)
    assert second.route == "answer" and second.company == "win-techno" and second.session_id == first.session_id
    assert retriever.queries[-1] == "What do you use my personal data for?"
    _assert_cited_verbatim(second)


def test_a_company_named_between_pleasantries_resumes_the_clarified_message(assistant: Assistant, retriever: KeywordRetriever) -> None:
    first = assistant.reply("What do you use my personal data for?")
    second = assistant.reply("Hi there, it's Highreso. Thanks a lot", session_id=first.session_id)
    assert (first.route, second.route, second.company) == ("clarify", "answer", "highreso")
    assert retriever.queries[-1] == "What do you use my personal data for?"


def test_a_full_question_after_clarify_is_its_own_question(
    assistant: Assistant, retriever: KeywordRetriever, sessions: InMemorySessionStore
) -> None:
    first = assistant.reply("What do you use my personal data for?")
    assert sessions.load(first.session_id).pending_message == "What do you use my personal data for?"
    second = assistant.reply("Does Highreso share my personal data with partners?", session_id=first.session_id)
    assert second.company == "highreso"
    assert retriever.queries[-1] == "Does it share my personal data with partners?"
    assert sessions.load(first.session_id).pending_message is None  # spent: a later name does not bring it back


def test_a_clarified_formal_request_becomes_a_draft_for_the_company_named(
    assistant: Assistant, drafts: InMemoryDraftStore, notifier: RecordingNotifier
) -> None:
    first = assistant.reply("Please delete all the personal data you hold about me.")
    assert first.route == "clarify" and first.ticket is None and first.request_draft is None
    second = assistant.reply("It's for Highreso", session_id=first.session_id)
    assert second.route == "desk" and second.ticket is None and second.request_draft is not None
    assert second.request_draft.company == "highreso" and second.request_draft.request_types == ("deletion",)
    assert drafts.get(second.request_draft.id, second.session_id).message == "Please delete all the personal data you hold about me."
    assert not notifier.tickets


# -- follow-ups --------------------------------------------------------------------------------
def test_a_follow_up_keeps_the_company_and_the_topic(assistant: Assistant, retriever: KeywordRetriever) -> None:
    first = assistant.reply("How do I request disclosure of my data?", company="upward")
    # "So," makes it a follow-up (it is stripped as an opener, but still read as leaning back).
    second = assistant.reply("So, what documents do I need?", session_id=first.session_id)
    assert second.company == "upward"
    assert retriever.queries[-1] == "How do I request disclosure of my data? what documents do I need?"
    # Behind a greeting the message still leans back: it is read without it.
    assistant.reply("Hi! And is there a fee?", session_id=first.session_id)
    assert retriever.queries[-1] == "How do I request disclosure of my data? what documents do I need? And is there a fee?"


def test_a_question_that_does_not_lean_back_starts_afresh(assistant: Assistant, retriever: KeywordRetriever) -> None:
    first = assistant.reply("How do I request disclosure of my data?", company="upward")
    second = assistant.reply("Do you use cookies?", session_id=first.session_id)
    assert second.company == "upward" and retriever.queries[-1] == "Do you use cookies?"


def test_a_follow_up_quotes_what_the_last_answer_did_not(assistant: Assistant) -> None:
    first = assistant.reply("What does Highreso use my personal information for?")
    assert first.route == "answer"
    second = assistant.reply("And what other purposes are there?", session_id=first.session_id)
    assert second.route == "answer" and second.company == "highreso"
    before = _cited(first)
    for c in second.citations:
        assert not any(d == c.doc_id and c.start < e and s < c.end for d, s, e in before), c.text
    _assert_cited_verbatim(second)


def test_with_no_fixed_company_a_named_company_switches_the_conversation(assistant: Assistant, retriever: KeywordRetriever) -> None:
    first = assistant.reply("How much does UPWARD charge for a disclosure request?")
    second = assistant.reply("Is there a fee at Highreso for a disclosure request?", session_id=first.session_id)
    assert (first.company, second.company) == ("upward", "highreso")
    assert second.route == "answer" and second.answer.startswith("Highreso")
    assert retriever.queries[-1] == "Is there a fee at it for a disclosure request?"
    _assert_cited_verbatim(second)
    # Naming a company makes even a message that leans back a question of its own.
    third = assistant.reply("And does Win Techno charge for one?", session_id=first.session_id)
    assert third.company == "win-techno" and retriever.queries[-1] == "And does it charge for one?"


def test_an_unsure_off_topic_reading_of_a_follow_up_is_answered_as_a_question(assistant: Assistant) -> None:
    first = assistant.reply("Does Highreso use cookies?")
    second = assistant.reply("And what about quasars?", session_id=first.session_id)
    assert second.intent == "out_of_scope" and second.reason != "off_topic"
    fresh = assistant.reply("And what about quasars?", company="highreso")  # no earlier turn to lean on
    assert fresh.route == "abstain" and fresh.reason == "off_topic"


# -- off-topic ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    ["What's the weather in Tokyo tomorrow?", "Write me a haiku about data centers.", "Write me a poem about personal information."],
)
def test_off_topic_abstains_without_citations_even_when_a_word_is_in_the_policy(assistant: Assistant, message: str) -> None:
    reply = assistant.reply(message, company="highreso")
    assert reply.route == "abstain" and reply.reason == "off_topic" and not reply.citations
    assert "Highreso" in reply.answer


def test_off_topic_needs_no_company(assistant: Assistant) -> None:
    reply = assistant.reply("Tell me a joke")
    assert reply.route == "abstain" and reply.company is None and reply.reason == "off_topic"


def test_an_unsure_off_topic_reading_is_overruled_when_the_policy_speaks_to_it(assistant: Assistant) -> None:
    reply = assistant.reply("What are IT logistics services?", company="sb-cs")
    assert reply.route == "answer" and reply.intent == "out_of_scope"
    _assert_cited_verbatim(reply)
    unknown = assistant.reply("What is a quasar?", company="sb-cs")  # no passage speaks to it
    assert unknown.route == "abstain" and unknown.reason == "off_topic"


# -- one company's widget ----------------------------------------------------------------------
def test_a_widget_bound_to_one_company_does_not_answer_for_another(assistant: Assistant) -> None:
    reply = assistant.reply("Does Highreso use cookies?", company="upward")
    assert reply.route == "abstain" and reply.reason == "other_company" and reply.company == "upward"
    assert not reply.citations and reply.ticket is None
    assert "UPWARD only" in reply.answer and "privacy@highreso.co.jp" in reply.answer


def test_a_bound_widget_still_takes_a_request_that_names_another_company(assistant: Assistant) -> None:
    reply = assistant.reply("Please delete my personal data. I have asked Highreso to do the same.", company="upward")
    assert reply.route == "desk" and reply.company == "upward"
    assert reply.request_draft is not None and reply.request_draft.company == "upward"


# -- the desk ----------------------------------------------------------------------------------
def test_no_reply_depends_on_the_channel_a_message_came_by() -> None:
    # Chat makes drafts, never tickets: where a message came from (widget, stream, CLI, an
    # evaluation) changed nothing but the channel of a ticket chat no longer opens.
    import inspect

    for method in (Assistant.reply, Assistant.reply_traced, Assistant._decide, Assistant._route_to_desk):
        assert "channel" not in inspect.signature(method).parameters, method.__name__


def test_a_formal_request_offers_a_draft_and_states_the_procedure(
    assistant: Assistant, desk: InMemoryDeskQueue, drafts: InMemoryDraftStore, notifier: RecordingNotifier
) -> None:
    reply = assistant.reply("Please delete all the personal data you hold about me.", company="upward")
    assert reply.route == "desk" and reply.ticket is None and reply.request_draft is not None
    offer = reply.request_draft
    assert offer.company == "upward" and offer.request_types == ("deletion",) and not offer.proxy and offer.reference is None
    assert [(f.name, f.required) for f in offer.fields] == [
        ("contact.name", False),
        ("contact.email", False),
        ("contact.postal_address", False),
        ("contact.phone", False),
        ("consent", True),
    ]
    lines = reply.answer.splitlines()
    assert "cannot carry it out" in lines[0] and "nothing has been sent yet" in lines[0]
    assert lines[-2].startswith("To send it to the desk, confirm the request and give an e-mail or a postal address")
    assert lines[-1].startswith("Contact: ") and "PRQ-" not in reply.answer and "due" not in reply.answer.lower()
    assert all(line.startswith("- ") for line in lines[2:-2])
    # Each procedure point is cited by the reply's markers, or not stated.
    assert [p.aspect for p in offer.procedure] == ["action", "channel", "identity", "fee", "response_time"]
    ids = {c.id for c in reply.citations}
    assert all((p.status == "cited") == bool(p.citations) and set(p.citations) <= ids for p in offer.procedure)
    assert desk.list() == ([], 0) and not notifier.tickets  # nothing is sent until the customer submits
    draft = drafts.get(offer.id, reply.session_id)
    assert draft.message == "Please delete all the personal data you hold about me."
    assert draft.policy_version == assistant.index.documents["upward"].version
    for c in reply.citations:
        assert _policy("upward")[c.start : c.end] == c.text


def test_a_submission_is_announced_even_when_its_draft_cannot_be_marked_submitted(
    assistant: Assistant, drafts: InMemoryDraftStore, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = assistant.reply("Please stop using my data for marketing.", company="upward")

    def down(draft_id: str, reference: str) -> None:
        raise StorageUnavailableError("draft store down")

    monkeypatch.setattr(drafts, "mark_submitted", down)
    done = assistant.backoffice().submit_request(_submit(assistant, first))  # the ticket stands: no error
    assert notifier.tickets == [done.ticket]
    repeat = assistant.backoffice().submit_request(_submit(assistant, first))
    assert repeat.ticket.id == done.ticket.id and len(notifier.tickets) == 1


def test_submitting_the_draft_opens_one_ticket_and_a_repeat_in_chat_names_it(
    assistant: Assistant, desk: InMemoryDeskQueue, notifier: RecordingNotifier
) -> None:
    first = assistant.reply("Please stop using my data for marketing.", company="upward")
    again = assistant.reply("please stop using my data for marketing", company="upward", session_id=first.session_id)
    assert first.request_draft and again.request_draft and again.request_draft.id == first.request_draft.id
    done = assistant.backoffice().submit_request(_submit(assistant, first))
    assert done.ticket.company == "upward" and done.ticket.request_types == ("suspension_of_use",) and done.ticket.lookup_token
    assert notifier.tickets == [done.ticket]
    repeat = assistant.backoffice().submit_request(_submit(assistant, first))
    assert (repeat.ticket.id, repeat.ticket.lookup_token) == (done.ticket.id, done.ticket.lookup_token) and len(notifier.tickets) == 1
    detail = desk.get(done.ticket.id)
    assert detail.channel == "api" and detail.message == "Please stop using my data for marketing."
    later = assistant.reply("Please stop using my data for marketing.", company="upward", session_id=first.session_id)
    assert later.request_draft is not None and later.request_draft.reference == done.ticket.id
    assert "already submitted" in later.answer and done.ticket.id in later.answer and "To send it" not in later.answer
    other = assistant.reply("Please stop using my data for marketing.", company="upward")  # another session
    assert other.request_draft and other.request_draft.id != first.request_draft.id and other.request_draft.reference is None


def test_a_complaint_and_a_proxy_request_reach_the_desk(assistant: Assistant) -> None:
    complaint = assistant.reply("I want to complain: you leaked my address!", company="highreso")
    assert complaint.route == "desk" and complaint.request_draft and complaint.request_draft.request_types == ("complaint",)
    assert complaint.answer.startswith("This reads as a complaint for")
    proxy = assistant.reply("I ask for disclosure of my mother's data on her behalf.", company="highreso")
    assert proxy.route == "desk" and proxy.request_draft and proxy.request_draft.proxy
    assert "(made on someone else's behalf)" in proxy.answer


def test_a_session_holds_a_few_open_drafts_at_most(hash_index: LoadedIndex, companies: list[Company]) -> None:
    from assistant.backoffice import RequestLimits
    from assistant.desk.drafts import TooManyDraftsError

    assistant = fake_assistant(hash_index, companies, intents=FakeIntentDetector(RULES))
    assistant.request_limits = RequestLimits(max_open_drafts=2)
    first = assistant.reply("Please delete my data.", company="upward")
    assistant.reply("Please delete my data.", company="highreso", session_id=first.session_id)
    assert assistant.reply("Please delete my data.", company="upward", session_id=first.session_id).route == "desk"  # the same one
    with pytest.raises(TooManyDraftsError, match="at most 2"):
        assistant.reply("Please delete my data.", company="win-techno", session_id=first.session_id)


def test_an_unavailable_draft_store_fails_the_request_and_announces_nothing(
    hash_index: LoadedIndex, companies: list[Company], notifier: RecordingNotifier
) -> None:
    class DownDrafts(InMemoryDraftStore):
        def open(self, new: NewDraft, max_open: int = 5) -> RequestDraft:
            raise StorageUnavailableError("draft store unavailable: OperationalError")

    assistant = fake_assistant(hash_index, companies, intents=FakeIntentDetector(RULES), drafts=DownDrafts(), notifier=notifier)
    with pytest.raises(StorageUnavailableError):
        assistant.reply("Please delete my data.", company="upward")
    assert not notifier.tickets


# -- sessions ----------------------------------------------------------------------------------
def test_turns_are_recorded_redacted(assistant: Assistant, sessions: InMemorySessionStore) -> None:
    first = assistant.reply("Please delete my data; my e-mail is hanako.secret.1234@example.org", company="upward")
    assistant.reply("How do I request disclosure of my data?", session_id=first.session_id)
    turns = sessions.transcript(first.session_id)
    assert [t["route"] for t in turns] == ["desk", "answer"]
    assert "hanako.secret.1234@example.org" not in repr(turns)
    assert sessions.load(first.session_id).company == "upward"


def test_without_the_session_store_the_assistant_still_answers(hash_index: LoadedIndex, companies: list[Company]) -> None:
    class DownSessions(InMemorySessionStore):
        def load(self, session_id: str | None) -> SessionState:
            raise StorageUnavailableError("session store unavailable: OperationalError")

        def record(self, state: SessionState, turn: TurnRecord) -> None:
            raise StorageUnavailableError("session store unavailable: OperationalError")

    assistant = fake_assistant(hash_index, companies, intents=FakeIntentDetector(RULES), sessions=DownSessions())
    reply = assistant.reply("How much does UPWARD charge for a disclosure request?", session_id="abc")
    assert reply.route == "answer" and reply.session_id == "abc"
    assert assistant.reply("How much does UPWARD charge for a disclosure request?").session_id


# -- input and staff search --------------------------------------------------------------------
def test_bad_input_is_refused_before_any_work(hash_index: LoadedIndex, companies: list[Company], retriever: KeywordRetriever) -> None:
    assistant = fake_assistant(hash_index, companies, retriever=retriever, limits=Limits(max_message_chars=40))
    for message in ("", "   "):
        with pytest.raises(InvalidMessageError, match="empty"):
            assistant.reply(message, company="upward")
    with pytest.raises(InvalidMessageError, match="limit is 40"):
        assistant.reply("x" * 41, company="upward")
    with pytest.raises(InvalidMessageError, match="limit is 40"):
        assistant.check_message(" " * 41)
    with pytest.raises(UnknownCompanyError):
        assistant.reply("Do you use cookies?", company="no-such-company")
    assert retriever.embedded == []


def test_staff_search_ranks_passages_across_the_companies_asked(assistant: Assistant) -> None:
    results = assistant.search("fee for a disclosure request", ["upward", "highreso"], k=5)
    assert 0 < len(results) <= 5
    assert {c.company for c, _ in results} <= {"upward", "highreso"}
    scores = [c.score for c, _ in results]
    assert scores == sorted(scores, reverse=True)
    for cite, clause in results:
        assert cite.text in clause or clause in _policy(cite.company)
    with pytest.raises(UnknownCompanyError):
        assistant.search("fee", ["upward", "no-such-company"])


# -- the message's language --------------------------------------------------------------------
# What the fake detector reads Japanese test messages as (the real one is intent.py's subject).
JA_RULES: tuple[tuple[str, IntentResult], ...] = (
    (r"俳句|天気", IntentResult("out_of_scope", 0.99)),
    (r"削除してください", IntentResult("formal_request", 0.95, ("deletion",))),
    *RULES,
)
# A cross-lingual retriever's stand-in ranks a Japanese question as its English rendering.
IN_ENGLISH = {"手数料": "How much does it charge for a disclosure request?", "利用目的": "What do you use my personal data for?"}


class CrossLingualRetriever(KeywordRetriever):
    """KeywordRetriever, with a Japanese question ranked as the English one `IN_ENGLISH` gives it."""

    def retrieve(self, query: str, company: str, k: int = 8, vector=None):  # type: ignore[no-untyped-def]
        return super().retrieve(_in_english(query), company, k, vector)

    def select_evidence(self, query, company, chunks, max_chunks=None, vector=None, asks=None):  # type: ignore[no-untyped-def]
        return super().select_evidence(_in_english(query), company, chunks, max_chunks, vector, asks)


def _in_english(query: str) -> str:
    return next((english for word, english in IN_ENGLISH.items() if word in query), query)


@pytest.fixture
def ja_intents() -> FakeIntentDetector:
    return FakeIntentDetector(JA_RULES)


@pytest.fixture
def ja_assistant(hash_index: LoadedIndex, companies: list[Company], ja_intents: FakeIntentDetector, desk: InMemoryDeskQueue) -> Assistant:
    return fake_assistant(hash_index, companies, intents=ja_intents, retriever=CrossLingualRetriever(hash_index), desk=desk)


def test_a_japanese_question_gets_a_japanese_lead_and_verbatim_quotes(ja_assistant: Assistant) -> None:
    reply = ja_assistant.reply("ＵＰＷＡＲＤの開示請求の手数料はいくらですか？")
    assert reply.route == "answer" and reply.company == "upward"
    lead, note, *rest = reply.answer.split("\n")
    assert lead == "アップワードのプライバシーポリシーには、次のとおり記載されています。"
    assert note == "（引用は英語の原文のままです）"
    quotes = [line for line in rest if line.startswith("[")]
    assert len(quotes) == len(reply.citations) and all("「" in q for q in quotes)
    assert all(c.display in reply.answer for c in reply.citations)
    _assert_cited_verbatim(reply)


def test_the_same_question_in_english_is_answered_as_before(ja_assistant: Assistant) -> None:
    reply = ja_assistant.reply("How much does UPWARD charge for a disclosure request?")
    assert reply.route == "answer" and reply.answer.startswith("UPWARD's privacy policy says this")
    assert "「" not in reply.answer and "\u201c" in reply.answer


@pytest.mark.parametrize(
    "message",
    [
        "Quels sont les frais pour une demande de divulgation chez UPWARD ?",
        "UPWARD는 제 개인정보를 삭제할 수 있나요?",
        "Какие данные собирает Highreso?",
    ],
)
def test_a_message_in_another_language_is_told_the_supported_ones_in_both(
    ja_assistant: Assistant, ja_intents: FakeIntentDetector, desk: InMemoryDeskQueue, message: str
) -> None:
    reply = ja_assistant.reply(message, company="upward")
    assert reply.route == "abstain" and reply.reason == "unsupported_language" and not reply.citations
    assert "English or Japanese" in reply.answer and "英語または日本語" in reply.answer
    assert ja_intents.calls == [] and desk.list(TicketFilter(include_eval=True)) == ([], 0)  # decided before intent


def test_japanese_non_answers_are_japanese(ja_assistant: Assistant) -> None:
    clarify = ja_assistant.reply("個人情報の利用目的は何ですか？")
    assert clarify.route == "clarify" and clarify.answer.startswith("どの会社についてのご質問ですか？")
    resumed = ja_assistant.reply("ハイレゾです", session_id=clarify.session_id)
    assert resumed.route == "answer" and resumed.company == "highreso" and resumed.answer.startswith("ハイレゾのプライバシーポリシー")
    off_topic = ja_assistant.reply("ハイレゾについて俳句を書いて")
    assert off_topic.reason == "off_topic" and off_topic.answer.startswith("お答えできるのは、ハイレゾが")
    not_covered = ja_assistant.reply("飛行船のテレメトリーについての方針は？", company="gmo-ai-robotics")
    assert not_covered.reason == "not_covered" and "お答えできません" in not_covered.answer
    other = ja_assistant.reply("ハイレゾはCookieを使いますか？", company="upward")
    assert other.reason == "other_company" and other.answer.startswith("このアシスタントは、アップワード")


def test_after_clarify_a_whole_japanese_question_naming_a_company_is_asked_not_resumed(ja_assistant: Assistant) -> None:
    clarify = ja_assistant.reply("個人情報の利用目的は何ですか？")
    assert clarify.route == "clarify"
    # No spaces between Japanese words: "one word" besides the name would resume anything.
    asked, trace = ja_assistant.reply_traced(
        "ハイレゾはクッキーを何のために使っていますか？保存期間も教えてください", session_id=clarify.session_id
    )
    assert asked.company == "highreso" and asked.route != "clarify"
    assert trace.query is not None and "クッキー" in trace.query  # this message was asked, not the pending one


def test_a_japanese_request_gets_a_japanese_desk_reply(ja_assistant: Assistant) -> None:
    reply = ja_assistant.reply("アップワードの私の個人情報をすべて削除してください。")
    assert reply.route == "desk" and reply.request_draft is not None and reply.request_draft.company == "upward"
    lines = reply.answer.split("\n")
    assert lines[0].startswith("アップワードの") and "への削除のご依頼として承りました。" in lines[0]
    assert lines[1].startswith("アップワードのプライバシーポリシー") and lines[-1].startswith("連絡先：")
    assert lines[-2].startswith("窓口へ送信するには") and reply.request_draft.fields[1].label == "返信先のメールアドレス（またはご住所）"
    points = [line for line in lines[2:-2] if line.startswith("- ")]
    assert [p.split("：")[0] for p in points] == [
        "- ポリシーに記載された会社の対応",
        "- ご依頼の方法と送付先",
        "- 必要な本人確認書類",
        "- 手数料",
        "- 回答までの期間",
    ]


def test_message_errors_speak_the_messages_language(hash_index: LoadedIndex, companies: list[Company]) -> None:
    assistant = fake_assistant(hash_index, companies, limits=Limits(max_message_chars=10))
    with pytest.raises(InvalidMessageError) as japanese:
        assistant.reply("個人情報の利用目的は何ですか？")
    assert japanese.value.code == "message_too_long" and japanese.value.language == "ja"
    assert japanese.value.message() == "メッセージが 15 文字あります。上限は 10 文字です。"
    assert str(japanese.value) == "message is 15 characters; the limit is 10"
    with pytest.raises(InvalidMessageError) as english:
        assistant.check_message("Do you sell my data?")
    assert english.value.language == "en" and english.value.message() == "message is 20 characters; the limit is 10"
    with pytest.raises(InvalidMessageError) as empty:
        assistant.reply("  ")
    assert empty.value.code == "message_empty" and empty.value.message("ja") == "メッセージが空です。"


# -- a status asked in chat --------------------------------------------------------------------
def _submitted(
    assistant: Assistant, message: str = "Please delete all my personal data.", company: str = "upward", session: str | None = None
):  # type: ignore[no-untyped-def]
    reply = assistant.reply(message, company=company, session_id=session)
    return reply, assistant.backoffice().submit_request(_submit(assistant, reply)).ticket


def test_a_status_asked_in_chat_is_answered_from_the_ticket_not_the_policy(
    assistant: Assistant, retriever: KeywordRetriever, intents: FakeIntentDetector
) -> None:
    first, ticket = _submitted(assistant)
    asked = assistant.reply("What is the status of my request?", session_id=first.session_id)
    assert asked.route == "answer" and not asked.citations and asked.ticket is None and asked.request_draft is None
    desk = assistant.company("upward").desk_name
    assert asked.answer.splitlines() == [
        f"Your request {ticket.id} (deletion) to UPWARD's {desk} is: received.",
        "The desk has not written to you yet.",
    ]
    assistant.backoffice().desk_message(ticket.id, "Please post the form with a copy of your ID.", "staff:test")
    assistant.backoffice().set_ticket_status(ticket.id, "awaiting_identity", "staff:test", "")
    queries, calls = len(retriever.queries), len(intents.calls)
    again = assistant.reply("Any update on my deletion request?", session_id=first.session_id)
    assert f"{ticket.id} (deletion) to UPWARD's {desk} is: awaiting proof of identity." in again.answer
    assert "\u201cPlease post the form with a copy of your ID.\u201d" in again.answer
    assert (len(retriever.queries), len(intents.calls)) == (queries, calls)  # no retrieval, no intent reading
    assert assistant.sessions.load(first.session_id).company == "upward"


def test_the_transcript_keeps_a_status_turn_without_the_desks_message(assistant: Assistant, sessions: InMemorySessionStore) -> None:
    first, ticket = _submitted(assistant)
    said = "Please post the form to our Tokyo office, Ms Yamada."
    assistant.backoffice().desk_message(ticket.id, said, "staff:test")
    asked = assistant.reply("What is the status of my request?", session_id=first.session_id)
    assert said in asked.answer, "the customer reads it"
    kept = sessions.transcript(first.session_id)[-1]
    assert kept["user"] == "What is the status of my request?" and kept["route"] == "answer"
    # The desk's words stay in the ticket (where each view is audited), not in the chat transcript.
    assert said not in kept["assistant"] and "Tokyo office" not in kept["assistant"]
    lines = kept["assistant"].splitlines()
    assert lines[0] == asked.answer.splitlines()[0] and ticket.id in lines[0]
    assert lines[1].startswith("The desk wrote to you on ") and lines[1].endswith("; its message is kept with the request.")


def test_the_latest_of_several_requests_names_the_others_and_a_reference_picks_one(assistant: Assistant) -> None:
    first, older = _submitted(assistant, "Please delete all my personal data.")
    _, newer = _submitted(assistant, "Please stop using my data for marketing.", company="highreso", session=first.session_id)
    latest = assistant.reply("what's the status of my request?", session_id=first.session_id)
    assert newer.id in latest.answer.splitlines()[0] and "suspension of use" in latest.answer and "Highreso" in latest.answer
    assert latest.answer.splitlines()[-1].startswith(f"You have made other requests in this conversation too ({older.id})")
    named = assistant.reply(f"What is the status of {older.id}?", session_id=first.session_id)
    assert named.answer.splitlines()[0].startswith(f"Your request {older.id} (deletion) to UPWARD") and newer.id in named.answer
    bound = assistant.reply("What is the status of my request?", company="upward", session_id=first.session_id)
    assert older.id in bound.answer.splitlines()[0] and newer.id not in bound.answer  # an UPWARD widget: UPWARD's only


def test_a_status_question_naming_a_company_answers_for_that_company(assistant: Assistant) -> None:
    first, upward = _submitted(assistant, "Please delete all my personal data.")
    _, highreso = _submitted(assistant, "Please stop using my data for marketing.", company="highreso", session=first.session_id)
    # The latest is Highreso's; the one named is UPWARD's.
    asked = assistant.reply("What is the status of my request to UPWARD?", session_id=first.session_id)
    assert asked.intent == "request_status" and asked.company == "upward"
    assert asked.answer.splitlines()[0].startswith(f"Your request {upward.id} (deletion) to UPWARD") and highreso.id in asked.answer
    ja = assistant.reply("ハイレゾへの申請の状況は？", session_id=first.session_id)
    assert ja.answer.splitlines()[0].startswith("ハイレゾの") and highreso.id in ja.answer.splitlines()[0]
    # A company the session never asked: none for it, never another company's request instead.
    never = assistant.reply("What is the status of my request to Win Techno?", session_id=first.session_id)
    desk = assistant.company("win-techno").desk_name
    assert never.intent == "request_status" and never.company == "win-techno" and not never.citations
    assert never.answer.splitlines() == [
        f"You have not submitted a request to Win Techno's {desk} in this conversation.",
        f"Your requests in this conversation: {highreso.id}, {upward.id}; ask with a reference for its status.",
    ]
    assert "is: received" not in never.answer
    # A widget bound to UPWARD asked about Highreso: none from here.
    bound = assistant.reply("What is the status of my request to Highreso?", company="upward", session_id=first.session_id)
    assert bound.answer.splitlines()[0].startswith("You have not submitted a request to Highreso's")
    assert highreso.id not in bound.answer and upward.id in bound.answer


def test_a_status_question_never_shows_another_sessions_ticket(assistant: Assistant, desk: InMemoryDeskQueue) -> None:
    _, ticket = _submitted(assistant)
    elsewhere = assistant.reply("Hi")  # a session of its own, with no request
    for session in (elsewhere.session_id, None, "no-such-session"):
        reply = assistant.reply(f"What is the status of my request {ticket.id}?", company="upward", session_id=session)
        assert ticket.id not in reply.answer and "received" not in reply.answer and reply.intent != "request_status"
    assert len(desk.list()[0]) == 1


def test_with_a_submitted_request_a_policy_question_is_still_answered_from_the_policy(assistant: Assistant) -> None:
    first, ticket = _submitted(assistant)
    reply = assistant.reply("How much does UPWARD charge for a disclosure request?", session_id=first.session_id)
    assert reply.route == "answer" and ticket.id not in reply.answer
    _assert_cited_verbatim(reply)


def test_a_status_asked_in_japanese_is_answered_in_japanese(ja_assistant: Assistant) -> None:
    first = ja_assistant.reply("アップワードの私の個人情報をすべて削除してください。")
    ticket = ja_assistant.backoffice().submit_request(_submit(ja_assistant, first)).ticket
    asked = ja_assistant.reply("申請の状況は？", session_id=first.session_id)
    assert asked.route == "answer" and not asked.citations
    desk = ja_assistant.company("upward").desk_name
    assert asked.answer.splitlines() == [
        f"アップワードの{desk}へのご依頼{ticket.id}（削除）の状況は「受付済み」です。",
        "窓口からのメッセージはまだありません。",
    ]
    ja_assistant.backoffice().set_ticket_status(ticket.id, "in_progress", "staff:test", "")
    ja_assistant.backoffice().desk_message(ticket.id, "本人確認書類をお送りください。", "staff:test")
    later = ja_assistant.reply("依頼した件はどうなっていますか", session_id=first.session_id)
    assert "「対応中」" in later.answer and "：「本人確認書類をお送りください。」" in later.answer


# -- clarify keeps the original ----------------------------------------------------------------
SECRET = "hanako.secret.1234@example.org"


def test_a_clarified_request_becomes_a_draft_as_typed_and_the_transcript_stays_redacted(
    hash_index: LoadedIndex, companies: list[Company], desk: InMemoryDeskQueue, sessions: InMemorySessionStore
) -> None:
    from assistant.testing.contracts import ManualClock

    clock = ManualClock()
    drafts = InMemoryDraftStore(clock=clock)
    assistant = fake_assistant(hash_index, companies, intents=FakeIntentDetector(RULES), desk=desk, sessions=sessions, drafts=drafts)
    typed = f"Please delete all the personal data you hold about me. Reply to {SECRET}"
    first = assistant.reply(typed)
    assert first.route == "clarify" and SECRET not in (sessions.load(first.session_id).pending_message or "")
    assert SECRET in drafts.stored_text()  # held by the draft store only
    second = assistant.reply("Highreso", session_id=first.session_id)
    assert second.route == "desk" and second.request_draft is not None and second.request_draft.company == "highreso"
    assert drafts.get(second.request_draft.id, second.session_id).message == typed
    assert drafts.stored_text().count(SECRET) == 1  # the hold went with the resume; the draft holds it
    assert SECRET not in repr(sessions.transcript(first.session_id)) and sessions.load(first.session_id).pending_message is None
    clock.advance(timedelta(hours=24, minutes=1))
    assert drafts.purge_expired() == 1 and SECRET not in drafts.stored_text()


def test_a_submitted_clarified_request_gives_the_desk_the_original(assistant: Assistant, desk: InMemoryDeskQueue) -> None:
    first = assistant.reply(f"I want to complain: you leaked my address! Write to {SECRET}")
    second = assistant.reply("It's for Win Techno", session_id=first.session_id)
    done = assistant.backoffice().submit_request(_submit(assistant, second))
    assert SECRET in desk.get(done.ticket.id).message
    assert SECRET not in repr(assistant.sessions.transcript(first.session_id))


def test_a_clarified_request_not_resumed_drops_its_original_at_once(assistant: Assistant, drafts: InMemoryDraftStore) -> None:
    first = assistant.reply(f"Please delete my data. Reply to {SECRET}")
    assert first.route == "clarify" and SECRET in drafts.stored_text()
    assistant.reply("What do you use my personal data for?", session_id=first.session_id)
    assert SECRET not in drafts.stored_text()


def test_a_clarified_question_holds_nothing(assistant: Assistant, drafts: InMemoryDraftStore) -> None:
    first = assistant.reply(f"What do you use my personal data for? I am {SECRET}")
    assert first.route == "clarify" and SECRET not in drafts.stored_text()
