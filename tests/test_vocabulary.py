"""One vocabulary: routes, request types, ticket statuses and limits are defined once
(assistant/vocabulary.py), served by GET /v1/meta, and everything else derives from them."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import get_args

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.schemas import ChatResponse, StatusChange
from assistant import vocabulary as v
from assistant.settings import Settings
from privacy_assistant.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _client(settings: Settings, embedder) -> TestClient:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    return TestClient(create_app(settings, build_assistant(settings, embedder)))


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


# ------------------------------------------------------------------------------- the definition
def test_the_definitions_agree_with_each_other() -> None:
    assert tuple(v.REQUEST_TYPES) == get_args(v.RequestType)
    assert list(v.REQUEST_TYPES)[: len(v.FORMAL_REQUEST_TYPES)] == list(v.FORMAL_REQUEST_TYPES)
    assert set(v.TRANSITIONS) == set(v.STATUSES)
    assert all(nxt <= set(v.STATUSES) and s not in nxt for s, nxt in v.TRANSITIONS.items())
    assert v.STATUSES[0] == v.INITIAL_STATUS and v.INITIAL_STATUS not in v.SETTABLE_STATUSES
    assert v.OPEN_STATUSES == ("received", "awaiting_identity", "in_progress")
    assert v.CLOSED_STATUSES == ("completed", "rejected", "withdrawn")
    assert all(label and label[0].isupper() for label in v.REQUEST_TYPES.values())


def test_the_library_derives_from_it() -> None:
    from assistant.answering import procedure
    from assistant.desk import tickets as desk
    from assistant.storage import retention
    from assistant.understand import intent

    assert desk.STATUSES == v.STATUSES and desk.OPEN_STATUSES == v.OPEN_STATUSES
    assert retention.CLOSED_STATUSES == v.CLOSED_STATUSES
    assert tuple(v.FORMAL_REQUEST_TYPES) == intent.REQUEST_TYPES
    # The procedure keeps its own reply wording per type (answer text), for exactly these types.
    assert set(procedure._TYPE_WORDS) == set(v.REQUEST_TYPES)
    assert Settings().max_message_chars == v.DEFAULT_MAX_MESSAGE_CHARS


def test_schemas_derive_from_it() -> None:
    assert ChatResponse.model_json_schema()["properties"]["route"]["enum"] == list(v.ROUTES)
    assert StatusChange.model_json_schema()["properties"]["status"]["enum"] == list(v.STATUSES)


def _choices(parser: argparse.ArgumentParser, *path: str) -> dict[str, object]:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return {a.dest: a.choices for a in parser._actions if a.choices is not None}


def test_cli_choices_derive_from_it() -> None:
    parser = build_parser()
    assert list(_choices(parser, "desk", "list")["status"]) == list(v.STATUSES)  # type: ignore[call-overload]
    assert list(_choices(parser, "desk", "export")["status"]) == list(v.STATUSES)  # type: ignore[call-overload]
    assert list(_choices(parser, "desk", "set-status")["status"]) == list(v.SETTABLE_STATUSES)  # type: ignore[call-overload]


# These names in quotes mean a list of statuses or request types copied outside the vocabulary
# (a single status used as a value, such as "received" or "in_progress", is not looked for).
_LITERALS = re.compile(r"""["'](awaiting_identity|stop_third_party_provision|third_party_records)["']""")
# procedure.py words each request type for the reply (answer text, checked above to match the vocabulary).
_ALLOWED = {Path("assistant/vocabulary.py"), Path("assistant/answering/procedure.py")}


def test_no_other_module_spells_out_the_statuses_or_request_types() -> None:
    found = []
    for folder in ("assistant", "api", "evals"):
        for path in sorted((ROOT / folder).rglob("*")):
            rel = path.relative_to(ROOT)
            if path.suffix not in (".py", ".js", ".html") or rel in _ALLOWED:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _LITERALS.search(line):
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "define these once in assistant/vocabulary.py:\n" + "\n".join(found)


def test_the_literal_scan_would_see_a_copy() -> None:
    assert _LITERALS.search('STATUSES = ("received", "awaiting_identity")')
    assert _LITERALS.search("var NEXT = { received: ['awaiting_identity'] }")


# ------------------------------------------------------------------------------- GET /v1/meta
def test_meta_serves_the_definitions(client: TestClient) -> None:
    resp = client.get("/v1/meta")  # no key: public
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "public, max-age=300"
    body = resp.json()
    assert body == v.meta()
    assert body["routes"] == ["answer", "desk", "abstain", "clarify"]
    assert [t["id"] for t in body["request_types"]] == list(v.REQUEST_TYPES)
    assert [t["label"] for t in body["request_types"]] == list(v.REQUEST_TYPES.values())
    statuses = {s["id"]: s for s in body["statuses"]}
    assert list(statuses) == list(v.STATUSES)
    assert {s: set(x["next"]) for s, x in statuses.items()} == {s: set(n) for s, n in v.TRANSITIONS.items()}
    assert statuses["in_progress"]["next"] == ["completed", "rejected", "withdrawn"]  # lifecycle order
    assert [s for s, x in statuses.items() if not x["open"]] == list(v.CLOSED_STATUSES)
    assert body["limits"] == {"max_message_chars": 2000, "max_note_chars": v.MAX_NOTE_CHARS}
    # The audit trail's library notes: their codes, worded as the desk stores them in English.
    from assistant.desk.tickets import library_note

    assert [n["id"] for n in body["audit_notes"]] == list(v.AUDIT_NOTES)
    assert all(n["labels"]["en"] == library_note(n["id"]) and n["labels"]["ja"] for n in body["audit_notes"])


def test_meta_is_in_the_openapi_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/meta"]["get"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/MetaOut")
    assert "security" not in op


# ------------------------------------------------------------------------------- the message limit
@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_a_raised_limit_accepts_longer_messages(hash_settings: Settings, hash_embedder, path: str) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"max_message_chars": 2500})
    with _client(settings, hash_embedder) as c:
        assert c.get("/v1/meta").json()["limits"]["max_message_chars"] == 2500
        message = ("What do you do with my data? " * 100)[:2500]
        assert c.post(path, json={"message": message, "company": "upward"}).status_code == 200
        resp = c.post(path, json={"message": message + "x", "company": "upward"})
        assert resp.status_code == 422
        assert resp.json()["detail"] == "message is 2501 characters; the limit is 2500"


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_a_lowered_limit_rejects_longer_messages(hash_settings: Settings, hash_embedder, path: str) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"max_message_chars": 100})
    with _client(settings, hash_embedder) as c:
        assert c.get("/v1/meta").json()["limits"]["max_message_chars"] == 100
        assert c.post(path, json={"message": "x" * 100, "company": "upward"}).status_code == 200
        resp = c.post(path, json={"message": "x" * 101, "company": "upward"})
        assert resp.status_code == 422 and "the limit is 100" in resp.json()["detail"]


def test_the_default_limit_is_unchanged(client: TestClient) -> None:
    assert client.post("/v1/chat", json={"message": "x" * 2000, "company": "upward"}).status_code == 200
    resp = client.post("/v1/chat", json={"message": "x" * 2001, "company": "upward"})
    assert resp.status_code == 422 and resp.json()["detail"] == "message is 2001 characters; the limit is 2000"
    # Refused before the company is looked up, as when the schema held the limit.
    assert client.post("/v1/chat", json={"message": "x" * 2001, "company": "acme"}).status_code == 422


def test_meta_needs_neither_the_index_nor_a_key(hash_settings: Settings, tmp_path: Path) -> None:
    settings = hash_settings.model_copy(update={"index_dir": tmp_path / "no-index", "max_message_chars": 1234})
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/chat", json={"message": "hi", "company": "upward"}).status_code == 503
        resp = c.get("/v1/meta")
        assert resp.status_code == 200 and resp.json()["limits"]["max_message_chars"] == 1234
