"""The local OpenAI-compatible server answers a LangChain chat model: the plumbing the generative
path's integration tests and bench stand on (answer quality is not this test's subject)."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from evals.llm_local import LocalLLM

pytestmark = pytest.mark.slow

MAX_TOKENS = 40
PASSAGE = "We keep your account data for 30 days after you close your account."


def test_langchain_chat_model_gets_text_from_the_local_server(local_llm: LocalLLM) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        base_url=local_llm.base_url,
        model=local_llm.model,
        api_key="none",  # type: ignore[arg-type]  # the local server checks no key
        timeout=60,
        max_retries=0,
        temperature=0,
        max_tokens=MAX_TOKENS,
        # LangChain sends the cap as max_completion_tokens, which llama-cpp-python's server
        # ignores (it would generate up to the context, ~100 s); max_tokens is what it reads.
        extra_body={"max_tokens": MAX_TOKENS},
    )
    reply = chat.invoke(
        [
            SystemMessage("Answer in one sentence using only the passage."),
            HumanMessage(f"Passage [1]: {PASSAGE}\n\nQuestion: How long do you keep my data?"),
        ]
    )
    assert isinstance(reply.content, str) and reply.content.strip(), reply
    usage = reply.response_metadata["token_usage"]
    assert 0 < usage["completion_tokens"] <= MAX_TOKENS, usage
