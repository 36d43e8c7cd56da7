"""Generative phrasing through a LangChain chat model: the prompt, the deadline, and failures as PhrasingError.

`ChatModelPhraser` works over any `BaseChatModel`; `build_openai_phraser` points it at an
OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, LM Studio); `QuotingChatModel` is the
deterministic offline model the shipped fake phraser runs on."""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langsmith.run_helpers import tracing_context

from assistant.answering.phrasing import MAX_SENTENCES
from assistant.errors import PhrasingError
from assistant.understand.language import Language

LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "ja": "Japanese"}

SYSTEM_PROMPT = (
    "You answer a customer's question about a company's privacy policy, using only the numbered passages "
    "of the policy you are given. Write at most {sentences} short sentences, in {language}. Put the number of "
    "the passage each sentence rests on in brackets before its full stop, like [1]. State only what the passages say: "
    "no figure, date, address or name that is not in them. If the passages do not answer the question, "
    "write nothing."
)

# Two sentences need far fewer (Japanese ones included); a cap keeps a model that rambles from
# holding the reply up: the local base model never stops early, and 256 tokens took 10-11 s on
# 2 idle cores, past PA_LLM_TIMEOUT_S under load.
MAX_OUTPUT_TOKENS = 120
# The prompt's own labels: a model that writes one has gone on to write a prompt of its own (base
# models continue the format: "Question: ...", "[/INST]"). Sent as stop sequences, and cut at
# for servers that ignore them.
PROMPT_LABELS = ("Question:", "Passages:", "[INST]", "[/INST]", "<start_of_turn>", "<end_of_turn>")
_PROMPT_LABEL = re.compile("|".join(re.escape(label) for label in PROMPT_LABELS))
# Other chat-template tokens a model may write anywhere (<<SYS>>, <</SYS>>, <s>, <|im_end|>): they
# are no part of an answer, and "<<SYS>>" alone passed the verifier as a sentence with nothing to check.
_TEMPLATE_TOKEN = re.compile(r"<<?/?[A-Za-z_]{1,20}>>?|<\|[^|<>\s]{1,40}\|>")
# A finish reason that means the server withheld the answer.
_REFUSED_FINISH = frozenset({"content_filter"})


def phrasing_messages(question: str, passages: Sequence[tuple[int, str]], lang: Language) -> list[BaseMessage]:
    """The prompt: fixed instructions, then the numbered passages and the question, and nothing else."""
    system = SYSTEM_PROMPT.format(sentences="two" if MAX_SENTENCES == 2 else MAX_SENTENCES, language=LANGUAGE_NAMES[lang])
    numbered = "\n\n".join(f"[{number}] {text.strip()}" for number, text in passages)
    return [SystemMessage(system), HumanMessage(f"Passages:\n\n{numbered}\n\nQuestion: {question.strip()}")]


class ChatModelPhraser:
    """A `Phraser` over a LangChain chat model: one call per question, bounded by `timeout_s`."""

    def __init__(self, chat_model: BaseChatModel, timeout_s: float = 20.0, max_concurrent: int = 8) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.chat_model = chat_model
        self.timeout_s = timeout_s
        # One bounded pool per phraser: a server that trickles tokens past the deadline keeps a
        # worker until the client's own timeout ends the call, so calls past the bound are
        # refused at once (the reply stays extractive) instead of piling up threads.
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="phrasing")
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def phrase(self, question: str, passages: Sequence[tuple[int, str]], lang: Language) -> str:
        """The model's text for `question` from `passages`; PhrasingError on timeout, error, refusal or empty output."""
        if not passages:
            raise PhrasingError("empty", "no passages to phrase from")
        message = self._call(phrasing_messages(question, passages, lang))
        blocks = message.content if isinstance(message.content, list) else []
        if message.additional_kwargs.get("refusal") or any(isinstance(b, dict) and b.get("type") == "refusal" for b in blocks):
            raise PhrasingError("refusal")
        if message.response_metadata.get("finish_reason") in _REFUSED_FINISH:
            raise PhrasingError("refusal", "filtered by the server")
        text = _PROMPT_LABEL.split(message.text, maxsplit=1)[0]
        text = re.sub(r"[ \t]{2,}", " ", _TEMPLATE_TOKEN.sub(" ", text)).strip()
        if not text:
            raise PhrasingError("empty")
        return text

    def _call(self, messages: list[BaseMessage]) -> BaseMessage:
        # The deadline holds for any chat model, whatever its client's own timeout does (a
        # fake that sleeps, a server that trickles tokens). The call is not cancelled: a
        # client-side timeout (ChatOpenAI's) ends it; meanwhile the reply has gone on without it.
        if not self._slots.acquire(blocking=False):
            raise PhrasingError("timeout", "every phrasing worker is still waiting on the model")
        context = contextvars.copy_context()  # LangChain keeps callbacks and tracing in context variables

        def call() -> BaseMessage:
            try:
                return context.run(self._invoke, messages)
            finally:
                self._slots.release()  # when the call ends, not when the reply stops waiting for it

        try:
            future = self._pool.submit(call)
        except RuntimeError:  # the pool is shut down (the process is exiting)
            self._slots.release()
            raise PhrasingError("error", "phrasing is shut down") from None
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise PhrasingError("timeout", f"no answer within {self.timeout_s:g} s") from None
        except Exception as exc:  # a chat model raises its client's errors: connection, HTTP status, parsing...
            if "timeout" in type(exc).__name__.lower():  # the client's own timeout (openai.APITimeoutError, httpx's)
                raise PhrasingError("timeout", type(exc).__name__) from exc
            raise PhrasingError("error", type(exc).__name__) from exc

    def _invoke(self, messages: list[BaseMessage]) -> BaseMessage:
        # Never traced, whatever LANGSMITH_TRACING says: the prompt holds a customer's question and
        # would go to a third party's servers (on an offline machine, to retries and error logs).
        with tracing_context(enabled=False):
            return self.chat_model.invoke(messages)


def build_openai_phraser(base_url: str, model: str, api_key: str = "", timeout_s: float = 20.0) -> ChatModelPhraser:
    """A phraser over an OpenAI-compatible chat completions server at `base_url` (e.g. http://127.0.0.1:8080/v1)."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    chat_model = ChatOpenAI(
        base_url=base_url,
        model=model,
        # Local servers ignore the key, but the client insists on one; a placeholder also keeps it
        # from sending OPENAI_API_KEY from the environment to whatever server base_url names.
        api_key=SecretStr(api_key or "not-needed"),
        timeout=timeout_s,
        max_retries=0,  # the deadline is the customer's wait: a retry would come after it
        temperature=0,
        # As `max_tokens` in the body: ChatOpenAI sends its own cap as `max_completion_tokens`,
        # which llama.cpp's server ignores (an "80-token" answer ran to 2,000 tokens, 100 s).
        extra_body={"max_tokens": MAX_OUTPUT_TOKENS},
        stop=list(PROMPT_LABELS),
    )
    return ChatModelPhraser(chat_model, timeout_s=timeout_s)


_STOPS = ".!?。！？"
# Latin full stops end a sentence before a space ("1.5%" and "e.g." stay whole); Japanese ones anywhere.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_NUMBERED = re.compile(r"^\[(\d+)\] (.+?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.S | re.M)


class QuotingChatModel(BaseChatModel):
    """A deterministic offline chat model: answers with the first sentence of the first passage in the
    prompt, marked with its number (what a faithful model would say; nothing invented)."""

    @property
    def _llm_type(self) -> str:
        return "quoting-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        match = _NUMBERED.search(messages[-1].text)
        answer = ""
        if match:
            first = _SENTENCE_END.split(match[2].strip(), maxsplit=1)[0].strip()
            body, stop_mark = (first[:-1], first[-1]) if first[-1] in _STOPS else (first, ".")
            space = "" if stop_mark in "。！？" else " "
            answer = f"{body}{space}[{match[1]}]{stop_mark}"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer))])


def fake_phraser(responses: Sequence[str] | None = None, timeout_s: float = 5.0) -> ChatModelPhraser:
    """`ChatModelPhraser` over a fake chat model: `responses` in turn (langchain_core's GenericFakeChatModel,
    cycling), or by default `QuotingChatModel`."""
    if responses is None:
        return ChatModelPhraser(QuotingChatModel(), timeout_s=timeout_s)
    import itertools

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    return ChatModelPhraser(GenericFakeChatModel(messages=itertools.cycle(list(responses))), timeout_s=timeout_s)
