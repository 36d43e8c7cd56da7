"""The assistant in LangChain terms: a company's policy as a retriever, and the answer pipeline as a Runnable.

    from assistant.integrations.langchain import build_answer_runnable, build_langchain_retriever

    retriever = build_langchain_retriever("upward")           # Assistant built from Settings()
    docs = retriever.invoke("How much does a disclosure request cost?")
    answer = build_answer_runnable(retriever.assistant)        # the same assistant, not a second one
    answer.invoke({"message": "Can I ask you to delete my data?", "company": "upward"})["answer"]

Both go through the facade (`Assistant.search`, `Assistant.reply`): the same ranking, company
scoping and citations as the HTTP API."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import Field

from assistant.domain import Citation, Reply
from assistant.service import Assistant
from assistant.settings import Settings

ANSWER_INPUT_KEYS = frozenset({"message", "company", "session_id"})


class PolicyRetriever(BaseRetriever):
    """One company's best passages for a query, each a Document whose `page_content` is the policy text at [start, end)."""

    assistant: Assistant
    company: str
    k: int = Field(4, ge=1)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [citation_document(cite) for cite, _ in self.assistant.search(query, [self.company], k=self.k)]


def citation_document(cite: Citation) -> Document:
    """A citation as a LangChain Document: the verbatim slice, and where it is in which version of which policy."""
    metadata: dict[str, Any] = {
        "company": cite.company,
        "doc_id": cite.doc_id,
        "version": cite.version,
        "section": cite.section,
        "start": cite.start,
        "end": cite.end,
        "page": cite.page,
        "score": cite.score,
        "display": cite.display,  # the same passage without markup, for reading (or a prompt)
    }
    return Document(page_content=cite.text, metadata=metadata, id=f"{cite.doc_id}@{cite.version}:{cite.start}-{cite.end}")


def _assistant(assistant: Assistant | None, settings: Settings | None) -> Assistant:
    if assistant is not None:
        return assistant
    from assistant.factory import build_assistant

    return build_assistant(settings or Settings())


def build_langchain_retriever(
    company: str, settings: Settings | None = None, *, assistant: Assistant | None = None, k: int = 4
) -> PolicyRetriever:
    """A retriever over `company`'s policy alone (UnknownCompanyError now, not at the first query, for an unknown id).

    Uses `assistant` when given, else builds one from `settings` (default: `Settings()`, the PA_* environment)."""
    built = _assistant(assistant, settings)
    return PolicyRetriever(assistant=built, company=built.company(company).id, k=k)


def reply_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain data: the fields of the API's chat response (and company, reason, intent), lists for tuples."""
    return cast(dict[str, Any], _plain(dataclasses.asdict(reply)))


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def build_answer_runnable(
    assistant: Assistant | None = None, settings: Settings | None = None
) -> Runnable[str | Mapping[str, Any], dict[str, Any]]:
    """`Assistant.reply` as a Runnable: a message, or {"message", "company"?, "session_id"?}, in; the reply as a dict out.

    Uses `assistant` when given, else builds one from `settings` (default: `Settings()`)."""
    built = _assistant(assistant, settings)

    def answer(request: str | Mapping[str, Any]) -> dict[str, Any]:
        if isinstance(request, str):
            return reply_data(built.reply(request))
        unknown = set(request) - ANSWER_INPUT_KEYS
        if unknown or "message" not in request:
            # A mistyped key ("compnay") would otherwise answer silently without it.
            raise ValueError(f"expected a str or a dict with 'message' and optionally 'company', 'session_id'; got keys {sorted(request)}")
        reply = built.reply(request["message"], company=request.get("company") or None, session_id=request.get("session_id"))
        return reply_data(reply)

    return RunnableLambda(answer, name="privacy_assistant_reply")
