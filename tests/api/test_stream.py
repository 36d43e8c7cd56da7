"""POST /v1/chat/stream: word-sized `delta` events, then one `done` event with the /v1/chat JSON;
errors are plain JSON responses before any stream starts. Also the staff scope and the HTML pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routers.stream import pieces
from api.schemas import ChatResponse


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def parse_sse(raw: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE body, per the spec's line rules."""
    events: list[tuple[str, str]] = []
    for block in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((event, "\n".join(data)))
    return events


def stream(client: TestClient, body: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    with client.stream("POST", "/v1/chat/stream", json=body) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        raw = "".join(resp.iter_text())
    events = parse_sse(raw)
    assert events[-1][0] == "done"
    assert [e for e, _ in events[:-1]] == ["delta"] * (len(events) - 1), "only deltas before the single done"
    deltas = [json.loads(d)["text"] for _, d in events[:-1]]
    return deltas, json.loads(events[-1][1])


def test_deltas_then_done_matching_chat_schema(client: TestClient) -> None:
    deltas, done = stream(client, {"message": "How much does a disclosure request cost?", "company": "upward"})
    ChatResponse.model_validate(done)
    assert set(done) == {"session_id", "route", "answer", "summary", "citations", "ticket", "request_draft"}
    assert len(deltas) > 3
    assert "".join(deltas) == done["answer"]
    assert all(len(d.split()) <= 1 for d in deltas), "word-sized pieces"
    if done["route"] == "answer":
        assert done["citations"], "an answer carries its citations"
        for c in done["citations"]:
            assert c["company"] == "upward"


def test_done_equals_chat_for_the_same_conversation(client: TestClient) -> None:
    body = {"message": "Please delete all my personal data", "company": "highreso"}
    _, done = stream(client, body)
    assert done["route"] == "desk" and done["ticket"] is None
    draft = done["request_draft"]
    assert isinstance(draft, dict) and draft["id"] and draft["company"] == "highreso"
    plain = client.post("/v1/chat", json={**body, "session_id": done["session_id"]}).json()
    assert set(plain) == set(done)
    assert plain["request_draft"] == draft  # the same request in the same session: the same draft


def test_session_continues_across_streamed_turns(client: TestClient) -> None:
    _, first = stream(client, {"message": "What do you use my data for?", "company": None})
    assert first["route"] == "clarify" and first["citations"] == [] and first["ticket"] is None
    _, second = stream(client, {"message": "What do you use my data for?", "company": "upward", "session_id": first["session_id"]})
    assert second["session_id"] == first["session_id"]
    assert second["route"] in ("answer", "abstain")


def test_unknown_company_is_json_404_not_a_stream(client: TestClient) -> None:
    resp = client.post("/v1/chat/stream", json={"message": "hello", "company": "acme"})
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert "upward" in resp.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"message": "", "company": "upward"}, {"message": "x" * 2001}, {"message": "  \n "}, {"company": "upward"}]
)
def test_bad_message_is_json_422(client: TestClient, body: dict[str, Any]) -> None:
    resp = client.post("/v1/chat/stream", json=body)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/json")
    assert isinstance(resp.json()["detail"], str) and "message" in resp.json()["detail"]


@pytest.mark.parametrize("text", ["", "one", "  lead and trail  ", "line one\n- [1] “quoted” text\n\nend", "日本語の文。 English too."])
def test_pieces_rebuild_the_text(text: str) -> None:
    assert "".join(pieces(text)) == text


def test_staff_me_reports_the_key_scope(client: TestClient) -> None:
    assert client.get("/v1/staff/me").status_code == 401
    assert client.get("/v1/staff/me", headers={"X-API-Key": "nope"}).status_code == 401
    scoped = client.get("/v1/staff/me", headers={"X-API-Key": "up-staff-key-for-tests-0003"}).json()
    assert scoped["companies"] == ["sb-cs", "upward"] and scoped["all_companies"] is False
    everyone = client.get("/v1/staff/me", headers={"X-API-Key": "all-staff-key-for-tests-0001"}).json()
    assert len(everyone["companies"]) == 5 and everyone["all_companies"] is True


@pytest.mark.parametrize("path", ["/demo?company=upward", "/console", "/policy?company=upward&start=0&end=5"])
def test_pages_are_html_with_a_strict_csp(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert "<script" in resp.text and "onclick" not in resp.text
    assert client.get("/static/widget.js").status_code == 200
