"""The factory picks the phrasing backend from PA_LLM_BACKEND: none by default, a ChatOpenAI phraser for `openai`."""

from __future__ import annotations

from assistant.factory import build_assistant, build_phraser
from assistant.models.embedders import Embedder
from assistant.settings import Settings


def test_no_phraser_by_default(hash_settings: Settings, hash_embedder: Embedder) -> None:
    assert build_phraser(Settings()) is None
    assert build_assistant(hash_settings, hash_embedder).summariser is None


def test_openai_builds_a_chat_openai_phraser_from_the_settings(hash_settings: Settings, hash_embedder: Embedder) -> None:
    from langchain_openai import ChatOpenAI

    from assistant.integrations.llm import ChatModelPhraser

    settings = hash_settings.model_copy(
        update={"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "gemma-3-270m", "llm_timeout_s": 7.5}
    )
    phraser = build_phraser(settings)
    assert isinstance(phraser, ChatModelPhraser) and isinstance(phraser.chat_model, ChatOpenAI)
    assert (phraser.chat_model.openai_api_base, phraser.chat_model.model_name, phraser.timeout_s) == (
        "http://127.0.0.1:9/v1",
        "gemma-3-270m",
        7.5,
    )
    # Building connects to nothing: nothing listens on port 9, and the assistant is built all the same.
    summariser = build_assistant(settings, hash_embedder).summariser
    assert summariser is not None and isinstance(summariser._phraser, ChatModelPhraser)
