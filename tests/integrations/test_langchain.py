"""The LangChain retriever and Runnable over the real corpus index: verbatim, company-scoped, cited
Documents, and the answer pipeline as a Runnable giving the reply as the API shapes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.errors import UnknownCompanyError
from assistant.integrations.langchain import build_answer_runnable, build_langchain_retriever, reply_data
from assistant.models.embedders import Embedder
from assistant.service import Assistant
from assistant.settings import Settings

QUESTIONS = (
    "How much does a disclosure request cost?",
    "How long do you keep my personal data?",
    "Do you share my data with third parties?",
    "個人情報の開示を請求するにはどうすればいいですか？",
)
METADATA = {"company", "doc_id", "version", "section", "start", "end", "page", "score", "display"}


def _assert_verbatim_scoped_cited(assistant: Assistant, question: str) -> None:
    for company in assistant.directory.ids:
        retriever = build_langchain_retriever(company, assistant=assistant, k=5)
        docs = retriever.invoke(question)
        assert 1 <= len(docs) <= 5 and all(isinstance(d, Document) for d in docs)
        own = {d.doc_id: d for d in assistant.documents(company)}
        for doc in docs:
            meta = doc.metadata
            assert set(meta) == METADATA and meta["company"] == company
            policy = own[meta["doc_id"]]  # a document of this company's policy, never another's
            assert meta["version"] == policy.version and meta["section"]
            assert doc.page_content == policy.text[meta["start"] : meta["end"]] and doc.page_content.strip()
            assert meta["page"] == policy.page_at(meta["start"])
        scores = [d.metadata["score"] for d in docs]
        assert scores == sorted(scores, reverse=True)
        assert len({d.id for d in docs}) == len(docs)


@pytest.mark.parametrize("question", QUESTIONS)
def test_documents_are_verbatim_company_scoped_and_cited(hash_assistant: Assistant, question: str) -> None:
    _assert_verbatim_scoped_cited(hash_assistant, question)


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_with_the_real_model_too(real_assistant: Assistant, question: str) -> None:
    _assert_verbatim_scoped_cited(real_assistant, question)


def test_the_retriever_ranks_as_staff_search_does(hash_assistant: Assistant) -> None:
    question = QUESTIONS[0]
    docs = build_langchain_retriever("upward", assistant=hash_assistant, k=3).invoke(question)
    expected = hash_assistant.search(question, ["upward"], k=3)
    assert [(d.metadata["doc_id"], d.metadata["start"], d.metadata["end"]) for d in docs] == [
        (c.doc_id, c.start, c.end) for c, _ in expected
    ]


def test_the_retriever_is_a_langchain_retriever_that_composes(hash_assistant: Assistant) -> None:
    retriever = build_langchain_retriever("upward", assistant=hash_assistant)
    assert isinstance(retriever, BaseRetriever) and retriever.company == "upward" and retriever.k == 4
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["company"] for d in docs])
    assert set(chain.invoke("What personal data do you collect?")) == {"upward"}
    batched = retriever.batch(list(QUESTIONS[:2]))
    assert [len(docs) for docs in batched] == [4, 4]


async def _ainvoke(retriever: BaseRetriever, question: str) -> list[Document]:
    return await retriever.ainvoke(question)


def test_the_retriever_answers_async_too(hash_assistant: Assistant) -> None:
    import asyncio

    retriever = build_langchain_retriever("highreso", assistant=hash_assistant, k=2)
    assert asyncio.run(_ainvoke(retriever, QUESTIONS[1])) == retriever.invoke(QUESTIONS[1])


def test_an_unknown_company_fails_when_the_retriever_is_built(hash_assistant: Assistant) -> None:
    with pytest.raises(UnknownCompanyError):
        build_langchain_retriever("acme", assistant=hash_assistant)


def test_without_an_assistant_one_is_built_from_the_settings(
    hash_settings: Settings, hash_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.factory

    monkeypatch.setattr(assistant.factory, "build_embedder", lambda settings: hash_embedder)  # no model needed
    retriever = build_langchain_retriever("upward", hash_settings)
    assert retriever.assistant.index.manifest == assistant.factory.IndexHandle(hash_settings).load().manifest
    assert {d.metadata["company"] for d in retriever.invoke(QUESTIONS[0])} == {"upward"}
    reply = build_answer_runnable(settings=hash_settings).invoke({"message": QUESTIONS[0], "company": "upward"})
    assert reply["route"] == "answer"


def test_the_runnable_answers_a_message_or_a_request(hash_assistant: Assistant) -> None:
    answer = build_answer_runnable(hash_assistant)
    assert isinstance(answer, Runnable)
    first = answer.invoke({"message": "How much does a disclosure request cost?", "company": "upward"})
    assert first["route"] == "answer" and first["company"] == "upward" and first["citations"]
    for cite in first["citations"]:
        policy = next(d for d in hash_assistant.documents("upward") if d.doc_id == cite["doc_id"])
        assert cite["text"] == policy.text[cite["start"] : cite["end"]]
    # The session carries on: a follow-up, with the session id the first reply gave.
    follow = answer.invoke({"message": "And how do I pay it?", "session_id": first["session_id"]})
    assert follow["session_id"] == first["session_id"] and follow["company"] == "upward"
    # A bare message names its company itself, or is asked which one.
    assert answer.invoke("How much does UPWARD charge for a disclosure request?")["company"] == "upward"
    assert answer.invoke("How long do you keep my data?")["route"] == "clarify"


def test_the_runnable_refuses_a_request_it_cannot_read(hash_assistant: Assistant) -> None:
    answer = build_answer_runnable(hash_assistant)
    with pytest.raises(ValueError, match="compnay"):
        answer.invoke({"message": "How much is it?", "compnay": "upward"})
    with pytest.raises(ValueError, match="'message'"):
        answer.invoke({"company": "upward"})


def test_the_reply_has_the_shape_the_api_gives_it(hash_assistant: Assistant) -> None:
    """Every field of POST /v1/chat's response, with the same values (plus company, reason and intent)."""
    from api.schemas import ChatResponse

    for message, company in (("How much does a disclosure request cost?", "upward"), ("Please delete all my personal data.", "highreso")):
        reply = hash_assistant.reply(message, company=company)
        data = reply_data(reply)
        wire = ChatResponse.model_validate(reply, from_attributes=True).model_dump(mode="json")
        assert {key: data[key] for key in wire} == wire
        assert set(data) - set(wire) == {"company", "reason", "intent"}
    assert data["route"] == "desk" and data["request_draft"]["procedure"]  # a draft's nested steps come out as lists too


def test_the_readme_example_runs(hash_assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's LangChain example, as written, on the test assistant instead of one built from the environment."""
    import assistant

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## LangChain\n", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setattr(assistant, "build_assistant", lambda settings: hash_assistant)
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("upward ") and any(line.startswith("answer [(1, ") for line in lines)
