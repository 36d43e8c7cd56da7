"""The summary above the quotes: sentences split with their markers, each kept only when the
verifier finds the quotes support it, the extractive answer whenever phrasing fails, and only
answers phrased (never desk, abstain or clarify text)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.answering.phrasing import Phraser
from assistant.answering.summary import Summariser, Summary, split_sentences, with_summary
from assistant.answering.verify import Verifier
from assistant.domain import Citation, Company
from assistant.errors import PhrasingError
from assistant.ingest.corpus import load_companies
from assistant.testing.fakes import FakeIntentDetector, HashEmbedder, MultilingualHashEmbedder, fake_assistant, fake_phraser
from assistant.understand.intent import IntentResult
from assistant.understand.language import Language
from tests.conftest import CORPUS

FEE = "A fee of 1,000 yen is charged for each request for disclosure of retained personal data."


# What the fake detector reads each kind of message as (else a question).
RULES = (
    (r"\bdelete\b", IntentResult("formal_request", 0.95, ("deletion",))),
    (r"\bcapital of\b", IntentResult("out_of_scope", 0.99)),
)


@pytest.fixture(scope="module")
def companies() -> list[Company]:
    return load_companies(CORPUS)


def cite(number: int, passage: str) -> Citation:
    return Citation(number, "acme", "acme-policy", "v1", "Fees", None, passage, 0, len(passage), 0.5, passage)


class Scripted:
    """A phraser that says `text` (or raises `error`) and records what it was asked."""

    def __init__(self, text: str = "", error: PhrasingError | None = None) -> None:
        self.text, self.error = text, error
        self.calls: list[tuple[str, list[tuple[int, str]]]] = []

    def phrase(self, question: str, passages: Sequence[tuple[int, str]], lang: Language) -> str:
        self.calls.append((question, list(passages)))
        if self.error is not None:
            raise self.error
        return self.text


def summariser(phraser: Phraser) -> Summariser:
    return Summariser(phraser, Verifier(HashEmbedder(), MultilingualHashEmbedder()))


@pytest.mark.parametrize(
    ("generated", "sentences"),
    [
        ("It costs 1,000 yen [1]. Send the form by post [2].", ["It costs 1,000 yen [1].", "Send the form by post [2]."]),
        ("It costs 1,000 yen. [1] Send it by post.", ["It costs 1,000 yen. [1]", "Send it by post."]),
        ("手数料は1,000円です[1]。郵送してください。", ["手数料は1,000円です[1]。", "郵送してください。"]),
        ("No stop at the end [1]", ["No stop at the end [1]"]),
        ("About 3.5% of users, for 1.5 years [1]. Then it goes.", ["About 3.5% of users, for 1.5 years [1].", "Then it goes."]),
        ("  ", []),
        # A line closed by a marker or a stop, a blank line, or a list item ends a statement; a wrapped line does not.
        ("It costs 1,000 yen [1]\nFax it to 03-9999-0000 [1]", ["It costs 1,000 yen [1]", "Fax it to 03-9999-0000 [1]"]),
        ("手数料は1,000円です[1]\nFAX：03-9999-0000", ["手数料は1,000円です[1]", "FAX：03-9999-0000"]),
        ("It costs 1,000 yen\n\nPay within 3 days", ["It costs 1,000 yen", "Pay within 3 days"]),
        ("You need:\n- a form [1]\n- 5,000 yen", ["You need:", "- a form [1]", "- 5,000 yen"]),
        ("A line that wraps\ninside a sentence [1].", ["A line that wraps\ninside a sentence [1]."]),
        ("Write to:\nprivacy@example.jp [1]", ["Write to:\nprivacy@example.jp [1]"]),
    ],
)
def test_split_sentences_keeps_markers_with_their_sentence(generated: str, sentences: list[str]) -> None:
    assert split_sentences(generated) == sentences


@pytest.mark.parametrize(
    ("generated", "kept"),
    [
        (
            "A request for disclosure costs 1,000 yen [1]. You must also pay 5,000 yen within 14 days [1]."
            " Send it by fax to 03-9876-5432 [1].",
            "A request for disclosure costs 1,000 yen [1].",
        ),
        # The same, a line each with no full stops: still three statements, not one dropped whole.
        (
            "A request for disclosure costs 1,000 yen [1]\nYou must also pay 5,000 yen within 14 days [1]\nFax: 03-9876-5432",
            "A request for disclosure costs 1,000 yen [1]",
        ),
    ],
)
def test_invented_facts_after_a_supported_sentence_are_dropped(generated: str, kept: str) -> None:
    phraser = Scripted(generated)
    summary = summariser(phraser).summarise("How much is disclosure?", "acme", [cite(1, FEE)], "en")
    assert summary.text == kept
    assert [v.kept for v in summary.verdicts] == [True, False, False]
    assert {v.reason for v in summary.verdicts if not v.kept} == {"fact"}
    # The model read only the quoted passages, numbered as the answer numbers them.
    assert phraser.calls == [("How much is disclosure?", [(1, FEE)])]


def test_nothing_supported_says_the_summary_was_omitted() -> None:
    summary = summariser(Scripted("It costs 9,999 yen [1].")).summarise("Fee?", "acme", [cite(1, FEE)], "en")
    assert summary.text is None and summary.omitted
    answer = with_summary("The quotes.", summary, "en")
    assert answer.startswith("(Summary omitted") and answer.endswith("The quotes.")
    assert "要約は省略" in with_summary("引用", summary, "ja")


@pytest.mark.parametrize("reason", ["timeout", "error", "refusal", "empty"])
def test_a_failing_phraser_leaves_the_extractive_answer(reason: str) -> None:
    summary = summariser(Scripted(error=PhrasingError(reason))).summarise("Fee?", "acme", [cite(1, FEE)], "en")
    assert summary == Summary(None, failure=reason)
    assert with_summary("The quotes.", summary, "en") == "The quotes."


def test_no_citations_asks_nothing() -> None:
    phraser = Scripted("Anything [1].")
    assert summariser(phraser).summarise("Fee?", "acme", [], "en") == Summary(None)
    assert phraser.calls == []


def test_more_kept_sentences_than_asked_for_are_cut_to_two() -> None:
    generated = "A fee of 1,000 yen is charged [1]. It is charged for each request [1]. It is for disclosure [1]."
    summary = summariser(Scripted(generated)).summarise("Fee?", "acme", [cite(1, FEE)], "en")
    assert summary.text == "A fee of 1,000 yen is charged [1]. It is charged for each request [1]."


def test_the_facade_puts_the_verified_summary_above_unchanged_citations(hash_index, companies) -> None:  # type: ignore[no-untyped-def]
    question = "How much does UPWARD charge for a disclosure request?"
    plain = fake_assistant(hash_index, companies).reply(question, company="upward")
    assert plain.route == "answer" and plain.summary is None
    phrased = fake_assistant(hash_index, companies, phraser=fake_phraser()).reply(question, company="upward")
    assert phrased.summary is not None and phrased.summary.endswith("[1].")
    assert phrased.answer == f"{phrased.summary}\n\n{plain.answer}"
    assert phrased.citations == plain.citations


@pytest.mark.parametrize(
    ("message", "company"),
    [
        ("Please delete all my personal data.", "upward"),  # a formal request: desk text
        ("What is the capital of France?", "upward"),  # off-topic
        ("How do you use my data?", None),  # clarify: which company?
    ],
)
def test_only_answers_are_phrased(hash_index, companies, message: str, company: str | None) -> None:  # type: ignore[no-untyped-def]
    phraser = Scripted("Invented [1].")
    assistant = fake_assistant(hash_index, companies, intents=FakeIntentDetector(RULES), phraser=phraser)
    reply = assistant.reply(message, company=company)
    assert reply.route != "answer" and reply.summary is None
    assert phraser.calls == []


def test_a_verifier_that_breaks_leaves_the_quotes() -> None:
    class Broken(Verifier):
        def verify(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("odd model output")

    broken = Summariser(Scripted("It costs 1,000 yen [1]."), Broken(HashEmbedder()))
    assert broken.summarise("Fee?", "acme", [cite(1, FEE)], "en") == Summary(None, failure="error")


def test_a_sentence_said_twice_is_shown_once_and_scripts_are_joined_as_written() -> None:
    twice = summariser(Scripted("A fee of 1,000 yen is charged [1]. A fee of 1,000 yen is charged [1]."))
    assert twice.summarise("Fee?", "acme", [cite(1, FEE)], "en").text == "A fee of 1,000 yen is charged [1]."
    from assistant.answering.summary import _joined

    assert _joined(["手数料は1,000円です[1]。", "郵送してください[2]。"]) == "手数料は1,000円です[1]。郵送してください[2]。"
    assert _joined(["手数料は1,000円です[1]。", "It costs 1,000 yen [1]."]) == "手数料は1,000円です[1]。It costs 1,000 yen [1]."
    assert _joined(["It costs 1,000 yen [1].", "手数料です。"]) == "It costs 1,000 yen [1]. 手数料です。"
