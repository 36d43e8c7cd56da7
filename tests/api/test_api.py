"""The HTTP contract of /v1/chat and friends, and its 4xx errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def test_chat_contract(client: TestClient) -> None:
    resp = client.post(
        "/v1/chat", json={"message": "What security measures does the company take?", "company": "upward", "session_id": None}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"session_id", "route", "answer", "summary", "citations", "ticket", "request_draft"}
    assert body["summary"] is None  # PA_LLM_BACKEND=none
    assert body["route"] in ("answer", "abstain")
    for c in body["citations"]:
        assert set(c) == {"id", "company", "doc_id", "version", "section", "page", "text", "display", "start", "end", "score"}
        assert c["company"] == "upward"
        assert c["display"] == c["text"].strip()  # plain text: nothing to remove


def test_a_formal_request_comes_back_as_a_draft_to_submit(client: TestClient) -> None:
    reply = client.post("/v1/chat", json={"message": "Please delete all the personal data you hold about me.", "company": "upward"}).json()
    assert reply["route"] == "desk" and reply["ticket"] is None
    draft = reply["request_draft"]
    assert set(draft) == {"id", "company", "request_types", "proxy", "fields", "procedure", "expires_at", "reference"}
    assert draft["company"] == "upward" and draft["request_types"] == ["deletion"] and draft["reference"] is None
    assert {f["name"]: f["required"] for f in draft["fields"]} == {
        "contact.name": False,
        "contact.email": False,
        "contact.postal_address": False,
        "contact.phone": False,
        "consent": True,
    }
    assert all(set(f) == {"name", "required", "label"} and f["label"] for f in draft["fields"])
    assert all(set(p) == {"aspect", "label", "status", "citations"} for p in draft["procedure"])
    assert {c for p in draft["procedure"] for c in p["citations"]} <= {c["id"] for c in reply["citations"]}
    assert client.get("/v1/desk/tickets", headers={"X-API-Key": "all-staff-key-for-tests-0001"}).json()["total"] == 0


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


MOZILLA_EN = next(
    (p / "dev-corpus" / "mozilla" / "en" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT / "missing",
)


def test_markdown_and_pdf_companies_over_http(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """The policy endpoint serves a PDF's reflowed text; citations of markdown carry a display."""
    if not MOZILLA_EN.is_dir():
        pytest.skip(f"{MOZILLA_EN} not present")
    from assistant.factory import build_assistant, rebuild_index
    from assistant.ingest.corpus import load_document
    from assistant.settings import Settings

    settings = Settings(
        corpus_dir=MOZILLA_EN,
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        rate_limit_per_minute=0,
        desk_api_keys="mozilla-test-staff-key-0123456789=*",
    )  # type: ignore[call-arg]
    rebuild_index(settings, hash_embedder, progress=False)
    pdf = load_document(MOZILLA_EN / "subscription_services_privacy_notice.pdf", "mozilla-subscriptions", "mozilla-subscriptions")
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as client:
        policy = client.get("/v1/companies/mozilla-subscriptions/policy").json()
        doc = policy["documents"][0]
        assert doc["text"] == pdf.text and "in order to approximate your location because Mozilla" in doc["text"]
        assert [p["page"] for p in doc["pages"]] == [1, 2, 3, 4, 5]
        hits = client.get(
            "/v1/search",
            params={"q": "Data Protection Officer dpo@mozilla.com", "company": "firefox"},
            headers={"X-API-Key": "mozilla-test-staff-key-0123456789"},
        ).json()["hits"]
        texts = {d["doc_id"]: d["text"] for d in client.get("/v1/companies/firefox/policy").json()["documents"]}
    assert hits
    for hit in hits:
        c = hit["citation"]
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["text"]
        assert c["display"] and not any(m in c["display"] for m in ("](", "**", "{:", "<br"))
    assert any("](mailto:dpo@mozilla.com)" in h["citation"]["text"] for h in hits)


def test_health_ready_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert ready.json()["components"]["database"] == "ok"
    assert client.get("/docs").status_code == 200
    assert "/v1/chat" in client.get("/openapi.json").json()["paths"]


def test_a_stopped_worker_holds_no_database_connections(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    app = create_app(hash_settings, hash_assistant)
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200  # the readiness probe checks a connection out and back in
        resources = app.state.resources
        assert resources.quick_engine.pool.checkedin() >= 1
    assert resources.quick_engine.pool.checkedin() == 0 and resources.engine.pool.checkedin() == 0


def test_not_ready_until_loaded(hash_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(hash_settings.model_copy(update={"index_dir": hash_settings.index_dir / "missing"}))
    with TestClient(app) as c:
        import time

        for _ in range(50):
            if app.state.started:
                break
            time.sleep(0.1)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["components"]["index"] == "missing"
        resp = c.post("/v1/chat", json={"message": "hi", "company": "upward"})
        assert resp.status_code == 503
        assert "temporarily unavailable" in resp.json()["detail"]
