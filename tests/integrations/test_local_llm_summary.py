"""PA_LLM_BACKEND=openai over the real local model (Gemma 3 270M on llama.cpp's server): the reply
never fails, its citations are the quotes-only reply's, every sentence that survives passes the
verifier again and states no fact its cited passages lack, and a model too slow to wait for leaves
the quotes-only answer. It is a base model, so what it says is not judged; run with -s to see it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answering.summary import split_sentences
from assistant.answering.verify import Verifier, extract_facts, missing_facts, split_markers
from assistant.factory import build_assistant
from assistant.ingest.corpus import load_companies
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from evals.llm_local import LocalLLM

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Policy questions the corpus answers, in both languages the assistant replies in.
QUESTIONS = [
    ("upward", "How much does UPWARD charge for a disclosure request?"),
    ("highreso", "利用目的の通知をお願いする場合、手数料はいくらですか。"),
]


def llm_settings(settings: Settings, llm: LocalLLM, timeout_s: float) -> Settings:
    return settings.model_copy(
        update={"llm_backend": "openai", "llm_base_url": llm.base_url, "llm_model": llm.model, "llm_timeout_s": timeout_s}
    )


@pytest.fixture(scope="module")
def phrasing_assistant(real_settings: Settings, real_embedder: Embedder, local_llm: LocalLLM) -> Iterator[Any]:
    # A generous wait: a generation takes 4-9 s on two shared cores.
    yield build_assistant(llm_settings(real_settings, local_llm, 90.0), real_embedder)


@pytest.fixture(scope="module")
def verifier(real_embedder: Embedder, multilingual_embedder: Embedder) -> Verifier:
    """A verifier as the factory builds one, to check what the reply kept a second time."""
    return Verifier(real_embedder, multilingual_embedder, load_companies(ROOT / "corpus"))


@pytest.mark.parametrize(("company", "question"), QUESTIONS)
def test_what_the_local_model_writes_survives_only_where_the_quotes_bear_it_out(
    phrasing_assistant: Any, real_assistant: Any, verifier: Verifier, company: str, question: str
) -> None:
    quotes_only = real_assistant.reply(question, company=company)
    reply, trace = phrasing_assistant.reply_traced(question, company=company)
    assert quotes_only.route == "answer" and reply.route == "answer"
    assert reply.citations == quotes_only.citations
    assert reply.answer.endswith(quotes_only.answer)
    summary = trace.summary
    assert summary is not None
    print(f"\n--- {company}: {question}\nfailure: {summary.failure}")
    for v in summary.verdicts:
        print(f"  {'KEPT' if v.kept else 'DROP'} [{v.reason or ''}] {v.text!r} cites {v.cited} {v.detail}")
    print(f"summary: {reply.summary!r}")
    assert reply.summary == summary.text
    if summary.failure is not None:
        assert reply.summary is None and reply.answer == quotes_only.answer
        return
    passages = {str(c.id): c.display for c in reply.citations}
    lang = "en" if question.isascii() else "ja"  # the language the reply is in
    for sentence in split_sentences(reply.summary or ""):
        (again,) = verifier.verify([sentence], passages, lang, company)
        assert again.kept, (sentence, again)
        text, named = split_markers(sentence)
        cited = "\n".join(passages[i] for i in (named or tuple(passages)))
        assert missing_facts(extract_facts(text), extract_facts(cited)) == [], sentence


def test_a_model_too_slow_to_wait_for_leaves_the_quotes(
    real_settings: Settings, real_embedder: Embedder, local_llm: LocalLLM, real_assistant: Any
) -> None:
    company, question = QUESTIONS[0]
    impatient = build_assistant(llm_settings(real_settings, local_llm, 0.01), real_embedder)
    reply, trace = impatient.reply_traced(question, company=company)
    quotes_only = real_assistant.reply(question, company=company)
    assert trace.summary is not None and trace.summary.failure == "timeout"
    assert reply.route == "answer" and reply.summary is None
    assert reply.answer == quotes_only.answer and reply.citations == quotes_only.citations
