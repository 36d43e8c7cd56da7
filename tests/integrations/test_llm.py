"""ChatModelPhraser over fake LangChain chat models: the prompt holds the passages and the question
only, and every way a model can fail (timeout, exception, refusal, nothing said) is a PhrasingError."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field

from assistant.answering.phrasing import markers
from assistant.errors import PhrasingError
from assistant.integrations.llm import SYSTEM_PROMPT, ChatModelPhraser, QuotingChatModel, build_openai_phraser, phrasing_messages

PASSAGES = ((1, "A request for disclosure costs 1,000 yen."), (3, "We answer within two weeks."))
QUESTION = "How much does a disclosure request cost?"


class RecordingChatModel(BaseChatModel):
    """Answers `answer` and keeps every prompt it was sent; raises `error` instead when set, after `sleep` seconds."""

    answer: AIMessage = AIMessage("It costs 1,000 yen [1].")
    error: Exception | None = None
    sleep: float = 0.0
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    handlers: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> ChatResult:
        self.prompts.append(messages)
        self.handlers += [type(h).__name__ for h in run_manager.handlers] if run_manager else []
        time.sleep(self.sleep)
        if self.error is not None:
            raise self.error
        return ChatResult(generations=[ChatGeneration(message=self.answer)])


def _phraser(**fields: Any) -> tuple[ChatModelPhraser, RecordingChatModel]:
    model = RecordingChatModel(prompts=[], **fields)
    return ChatModelPhraser(model, timeout_s=2.0), model


def test_the_answer_is_the_models_text() -> None:
    phraser, _ = _phraser(answer=AIMessage("  It costs 1,000 yen [1].\n"))
    assert phraser.phrase(QUESTION, PASSAGES, "en") == "It costs 1,000 yen [1]."


def test_the_model_sees_the_instructions_the_passages_and_the_question_only() -> None:
    phraser, model = _phraser()
    phraser.phrase(f"  {QUESTION} ", PASSAGES, "en")
    (prompt,) = model.prompts
    assert [type(m) for m in prompt] == [SystemMessage, HumanMessage]
    assert prompt[0].text == SYSTEM_PROMPT.format(sentences="two", language="English")
    assert prompt[1].text == (
        f"Passages:\n\n[1] A request for disclosure costs 1,000 yen.\n\n[3] We answer within two weeks.\n\nQuestion: {QUESTION}"
    )


def test_a_customers_question_is_never_traced_to_langsmith(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2-from-the-environment")
    monkeypatch.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: no trace leaves the machine
    from langsmith.run_helpers import tracing_context
    from langsmith.utils import tracing_is_enabled

    # Turned on the way a deployer's LangChain app would (LANGSMITH_TRACING=true is read once and
    # cached by langsmith, so a test cannot set it reliably).
    with tracing_context(enabled=True):
        assert tracing_is_enabled()
        phraser, model = _phraser()
        phraser.phrase(QUESTION, PASSAGES, "en")
    assert model.prompts and model.handlers == []


def test_the_customers_language_is_asked_for() -> None:
    system = phrasing_messages("手数料は？", ((2, "手数料は1,000円です。"),), "ja")[0].text
    assert "in Japanese" in system and "at most two" in system and "[1]" in system


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"error": RuntimeError("HTTP 500 from the server")}, "error"),
        ({"error": ConnectionError("refused")}, "error"),
        ({"error": TimeoutError("read timed out")}, "timeout"),
        ({"answer": AIMessage("")}, "empty"),
        ({"answer": AIMessage("  \n ")}, "empty"),
        ({"answer": AIMessage([])}, "empty"),
        ({"answer": AIMessage("", additional_kwargs={"refusal": "I can't help with that."})}, "refusal"),
        ({"answer": AIMessage([{"type": "refusal", "refusal": "No."}])}, "refusal"),
        ({"answer": AIMessage("Sorry", response_metadata={"finish_reason": "content_filter"})}, "refusal"),
    ],
)
def test_every_failure_is_a_phrasing_error(fields: dict[str, Any], reason: str) -> None:
    phraser, _ = _phraser(**fields)
    with pytest.raises(PhrasingError) as failed:
        phraser.phrase(QUESTION, PASSAGES, "en")
    assert failed.value.reason == reason


def test_a_slow_model_times_out_at_the_deadline() -> None:
    model = RecordingChatModel(prompts=[], sleep=1.0)
    phraser = ChatModelPhraser(model, timeout_s=0.1)
    with pytest.raises(PhrasingError) as failed:
        phraser.phrase(QUESTION, PASSAGES, "en")
    assert failed.value.reason == "timeout"


def test_calls_past_the_bound_are_refused_while_the_workers_wait_on_a_slow_model() -> None:
    model = RecordingChatModel(prompts=[], sleep=1.0)
    phraser = ChatModelPhraser(model, timeout_s=0.05, max_concurrent=1)
    with pytest.raises(PhrasingError):
        phraser.phrase(QUESTION, PASSAGES, "en")  # the deadline passes; the call goes on in the worker
    with pytest.raises(PhrasingError) as busy:
        phraser.phrase(QUESTION, PASSAGES, "en")
    assert busy.value.reason == "timeout" and "still waiting" in str(busy.value)
    assert len(model.prompts) == 1, "the refused call never reached the model"


def test_no_passages_never_reaches_the_model() -> None:
    phraser, model = _phraser()
    with pytest.raises(PhrasingError):
        phraser.phrase(QUESTION, (), "en")
    assert model.prompts == []


def test_a_scripted_fake_gives_its_answers_in_turn() -> None:
    phraser = ChatModelPhraser(GenericFakeChatModel(messages=itertools.cycle(["First [1].", "Second [3]."])))
    assert [phraser.phrase(QUESTION, PASSAGES, "en") for _ in range(3)] == ["First [1].", "Second [3].", "First [1]."]


@pytest.mark.parametrize(
    ("passages", "lang", "answer"),
    [
        (PASSAGES, "en", "A request for disclosure costs 1,000 yen [1]."),
        (((2, "Fees are 1.5% of the amount. Nothing else."),), "en", "Fees are 1.5% of the amount [2]."),
        (((4, "No heading full stop"),), "en", "No heading full stop [4]."),
        (((2, "手数料は1,000円です。郵送で受け付けます。"),), "ja", "手数料は1,000円です[2]。"),
    ],
)
def test_the_quoting_fake_says_the_first_sentence_of_the_first_passage(passages: Sequence[tuple[int, str]], lang: str, answer: str) -> None:
    assert ChatModelPhraser(QuotingChatModel()).phrase(QUESTION, passages, lang) == answer  # type: ignore[arg-type]


def test_the_quoting_fake_names_only_passages_it_was_given() -> None:
    text = ChatModelPhraser(QuotingChatModel()).phrase(QUESTION, ((7, "We keep logs for 90 days."), (8, "Other.")), "en")
    assert markers(text) == [7]


def test_the_openai_backend_is_a_chat_openai_without_retries() -> None:
    phraser = build_openai_phraser("http://127.0.0.1:9/v1", "gemma-3-270m", timeout_s=3.5)
    model = phraser.chat_model
    assert isinstance(model, ChatOpenAI) and phraser.timeout_s == 3.5
    assert (model.openai_api_base, model.model_name, model.request_timeout, model.max_retries) == (
        "http://127.0.0.1:9/v1",
        "gemma-3-270m",
        3.5,
        0,
    )
    assert model.openai_api_key is not None and model.openai_api_key.get_secret_value() == "not-needed"


def test_the_openai_backend_never_sends_the_environments_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    keyed = build_openai_phraser("http://127.0.0.1:9/v1", "m", api_key="local-key").chat_model
    unkeyed = build_openai_phraser("http://127.0.0.1:9/v1", "m").chat_model
    assert keyed.openai_api_key.get_secret_value() == "local-key"  # type: ignore[attr-defined]
    assert unkeyed.openai_api_key.get_secret_value() == "not-needed"  # type: ignore[attr-defined]


def test_a_server_that_is_down_is_a_phrasing_error() -> None:
    """Nothing listens on the port: the client's connection error becomes PhrasingError, quickly."""
    from assistant.testing.contracts import unused_port

    phraser = build_openai_phraser(f"http://127.0.0.1:{unused_port()}/v1", "m", timeout_s=5)
    with pytest.raises(PhrasingError) as failed:
        phraser.phrase(QUESTION, PASSAGES, "en")
    assert failed.value.reason == "error"


def test_what_follows_a_prompt_label_is_cut() -> None:
    model = RecordingChatModel(prompts=[], answer=AIMessage("It costs 1,000 yen [1]. Question: And the form? [/INST] 5,000 yen"))
    assert ChatModelPhraser(model).phrase(QUESTION, PASSAGES, "en") == "It costs 1,000 yen [1]."
    only_echo = RecordingChatModel(prompts=[], answer=AIMessage("Question: How much?"))
    with pytest.raises(PhrasingError) as failed:
        ChatModelPhraser(only_echo).phrase(QUESTION, PASSAGES, "en")
    assert failed.value.reason == "empty"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("<<SYS>> It costs 1,000 yen [1]. <</SYS>>", "It costs 1,000 yen [1]."),
        ("<s>手数料は1,000円です[1]。<|im_end|>", "手数料は1,000円です[1]。"),
    ],
)
def test_chat_template_tokens_are_taken_out(written: str, kept: str) -> None:
    model = RecordingChatModel(prompts=[], answer=AIMessage(written))
    assert ChatModelPhraser(model).phrase(QUESTION, PASSAGES, "en") == kept
    with pytest.raises(PhrasingError) as failed:
        ChatModelPhraser(RecordingChatModel(prompts=[], answer=AIMessage("<<SYS>>"))).phrase(QUESTION, PASSAGES, "en")
    assert failed.value.reason == "empty"


def test_the_openai_backend_stops_at_the_prompt_labels() -> None:
    from assistant.integrations.llm import PROMPT_LABELS

    phraser = build_openai_phraser("http://127.0.0.1:9/v1", "m")
    assert phraser.chat_model.stop == list(PROMPT_LABELS)  # type: ignore[attr-defined]
