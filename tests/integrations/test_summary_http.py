"""PA_LLM_BACKEND=openai end to end: /v1/chat over a real OpenAI-compatible HTTP server (a stub
on loopback) that writes one supported sentence and then invents an amount, a deadline and a fax
number. The summary keeps the supported sentence only, the citations are those of the quotes-only
reply, and a server that errs or is too slow leaves the quotes-only answer."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.factory import build_assistant
from assistant.models.embedders import Embedder
from assistant.settings import Settings

QUESTION = "How much does UPWARD charge for a disclosure request?"
INVENTED = ("25,000 yen", "3 days", "03-9999-0000")


class Behaviour:
    """What the stub server does with the next request."""

    mode = "invent"  # invent | fail | slow
    prompts: ClassVar[list[str]] = []


def first_sentence(prompt: str) -> str:
    """Passage [1]'s first sentence as the prompt gives it, with its marker before the stop."""
    passage = re.search(r"^\[1\] (.+)$", prompt, re.M)
    assert passage is not None, prompt
    sentence = re.split(r"(?<=[.!?])\s", passage[1].strip())[0].rstrip(".!?")
    return f"{sentence} [1]."


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        Behaviour.prompts.append(prompt)
        if Behaviour.mode == "fail":
            self._send(500, {"error": {"message": "model crashed"}})
            return
        if Behaviour.mode == "slow":
            time.sleep(3)
        text = f"{first_sentence(prompt)} You must also pay 25,000 yen within 3 days [1]. Fax the form to 03-9999-0000 [1]."
        self._send(
            200,
            {
                "id": "stub",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up at its deadline (the slow case)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def chat(settings: Settings, embedder: Embedder, message: str = QUESTION) -> dict[str, Any]:
    with TestClient(create_app(settings, build_assistant(settings, embedder))) as client:
        response = client.post("/v1/chat", json={"message": message, "company": "upward"})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def llm_settings(hash_settings: Settings, stub_url: str) -> Settings:
    return hash_settings.model_copy(update={"llm_backend": "openai", "llm_base_url": stub_url, "llm_model": "stub", "llm_timeout_s": 1.5})


def test_invented_sentences_are_dropped_and_citations_stay(hash_settings, llm_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    plain = chat(hash_settings, hash_embedder)
    Behaviour.mode, Behaviour.prompts = "invent", []
    phrased = chat(llm_settings, hash_embedder)
    assert plain["summary"] is None and plain["route"] == phrased["route"] == "answer"
    assert phrased["summary"] == first_sentence(Behaviour.prompts[0])
    assert phrased["answer"] == f"{phrased['summary']}\n\n{plain['answer']}"
    assert not any(fact in phrased["answer"] for fact in INVENTED)
    assert phrased["citations"] == plain["citations"]
    # The model saw the question and the quoted passages, and nothing else of the policy.
    assert Behaviour.prompts[0].endswith(f"Question: {QUESTION}")
    assert re.findall(r"^\[(\d+)\] ", Behaviour.prompts[0], re.M) == [str(c["id"]) for c in plain["citations"]]


@pytest.mark.parametrize("mode", ["fail", "slow"])
def test_a_failing_or_slow_server_leaves_the_quotes(hash_settings, llm_settings, hash_embedder, mode: str) -> None:  # type: ignore[no-untyped-def]
    plain = chat(hash_settings, hash_embedder)
    Behaviour.mode = mode
    try:
        phrased = chat(llm_settings, hash_embedder)
    finally:
        Behaviour.mode = "invent"
    assert phrased["summary"] is None
    assert phrased["answer"] == plain["answer"] and phrased["citations"] == plain["citations"]


def test_the_stream_sends_the_verified_summary_then_the_quotes(llm_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from tests.api.test_stream import parse_sse

    Behaviour.mode, Behaviour.prompts = "invent", []
    with TestClient(create_app(llm_settings, build_assistant(llm_settings, hash_embedder))) as client:
        response = client.post("/v1/chat/stream", json={"message": QUESTION, "company": "upward"})
    events = parse_sse(response.text)
    done = json.loads(events[-1][1])
    streamed = "".join(json.loads(data)["text"] for event, data in events if event == "delta")
    # Generated and verified before the first event: what streams is the kept summary, then the quotes.
    assert done["summary"] == first_sentence(Behaviour.prompts[0])
    assert streamed == done["answer"] and streamed.startswith(done["summary"])
    assert not any(fact in streamed for fact in INVENTED)


def test_contact_details_in_the_question_never_reach_the_model(llm_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    Behaviour.mode, Behaviour.prompts = "invent", []
    reply = chat(llm_settings, hash_embedder, f"{QUESTION} Write to taro.yamada@example.com or call 090-1234-5678.")
    assert reply["route"] == "answer" and len(Behaviour.prompts) == 1
    question = Behaviour.prompts[0].rsplit("Question: ", 1)[1]
    assert "taro.yamada@example.com" not in question and "1234-5678" not in question
    assert question.startswith(QUESTION)
