"""The HTTP contract of /v1/chat and friends, and its 4xx errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def test_chat_contract(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "What security measures does the company take?", "company": "upward", "session_id": None})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"session_id", "route", "answer", "citations", "ticket"}
    assert body["route"] in ("answer", "abstain")
    for c in body["citations"]:
        assert set(c) == {"id", "company", "doc_id", "version", "section", "page", "text", "start", "end", "score"}
        assert c["company"] == "upward"


def test_unknown_company_is_404_with_valid_ids(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "hello", "company": "acme"})
    assert resp.status_code == 404
    assert "upward" in resp.json()["detail"]
    assert "highreso" in resp.json()["valid_companies"]


@pytest.mark.parametrize("message", ["", "x" * 2001])
def test_bad_message_is_422_with_readable_detail(client: TestClient, message: str) -> None:
    resp = client.post("/v1/chat", json={"message": message, "company": "upward"})
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str) and "message" in resp.json()["detail"]


def test_whitespace_only_message_is_422(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "   \n ", "company": "upward"})
    assert resp.status_code == 422
    assert "empty" in resp.json()["detail"]


def test_malformed_json_is_422(client: TestClient) -> None:
    resp = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)


def test_empty_company_counts_as_none(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "What do you use my data for?", "company": ""})
    assert resp.status_code == 200
    assert resp.json()["route"] == "clarify"


def test_unknown_session_starts_fresh_session(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "What is collected?", "company": "upward", "session_id": "no-such-session"})
    assert resp.status_code == 200
    assert resp.json()["session_id"] != "no-such-session"


def test_companies_and_policy(client: TestClient) -> None:
    companies = client.get("/v1/companies").json()
    assert [c["id"] for c in companies] == ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]
    assert next(c for c in companies if c["id"] == "highreso")["desk_email"] == "privacy@highreso.co.jp"
    policy = client.get("/v1/companies/upward/policy").json()
    raw = (client.app.state.settings.corpus_dir / "upward.txt").read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert policy["documents"][0]["text"] == raw
    assert client.get("/v1/companies/acme/policy").status_code == 404


def test_health_ready_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert ready.json()["components"]["database"] == "ok"
    assert client.get("/docs").status_code == 200
    assert "/v1/chat" in client.get("/openapi.json").json()["paths"]


def test_not_ready_until_loaded(hash_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(hash_settings.model_copy(update={"index_dir": hash_settings.index_dir / "missing"}))
    with TestClient(app) as c:
        import time

        for _ in range(50):
            if app.state.load_error:
                break
            time.sleep(0.1)
        assert c.get("/readyz").status_code == 503
        resp = c.post("/v1/chat", json={"message": "hi", "company": "upward"})
        assert resp.status_code == 503
        assert "index" in resp.json()["detail"]
