"""The formal-request contract over HTTP (#16), on SQLite and PostgreSQL: POST /v1/requests, the
status check with messages, the customer's answer, the desk's message, and the flood caps."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.main import create_app
from assistant.desk.drafts import NewDraft
from assistant.settings import Settings
from assistant.storage.db import make_engine
from tests.conftest import submission

STAFF = {"X-API-Key": "all-staff-key-for-tests-0001"}
HIGHRESO_STAFF = {"X-API-Key": "hr-staff-key-for-tests-0002"}
EMAIL = "mariko.request.7788@example.org"
ADDRESS = "4-5-6 Nishi-Shinjuku, Shinjuku-ku, Tokyo"


@pytest.fixture
def app(db_settings: Settings, hash_embedder) -> Iterator[tuple[TestClient, Any]]:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = db_settings.model_copy(
        update={
            "desk_api_keys": "all-staff-key-for-tests-0001=*,hr-staff-key-for-tests-0002=highreso",
            "secret_key": "a-test-secret-that-is-long-enough-0123456789",
            "max_submissions_per_hour": 3,
        }
    )
    assistant = build_assistant(settings, hash_embedder)
    with TestClient(create_app(settings, assistant)) as client:
        yield client, assistant


def _draft(assistant: Any, session: str = "sess-1", company: str = "upward", types: tuple[str, ...] = ("disclosure",)) -> str:
    draft = assistant.drafts.open(NewDraft(session, company, types, False, "v1", f"Please disclose my data. Reply to {EMAIL}"))
    return str(draft.id)


def _body(draft_id: str, session: str = "sess-1", **extra: Any) -> dict[str, Any]:
    return {"draft_id": draft_id, "session_id": session, "contact": {"name": "Mariko", "email": EMAIL}, "consent": True, **extra}


def test_a_submission_is_a_ticket_and_repeating_it_changes_nothing(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    draft_id = _draft(assistant)
    resp = client.post("/v1/requests", json=_body(draft_id, note="My customer number is 1234."))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"reference", "lookup_token", "status", "company", "request_types", "next_steps"}
    assert body["reference"].startswith("PRQ-") and body["status"] == "received" and body["company"] == "upward"
    assert body["request_types"] == ["disclosure"] and body["lookup_token"]
    assert "not yet the formal request itself" in body["next_steps"] and "by post only" in body["next_steps"]
    again = client.post("/v1/requests", json=_body(draft_id))
    assert again.status_code == 201 and again.json() == body
    status = client.get(f"/v1/requests/{body['reference']}", params={"token": body["lookup_token"]}).json()
    assert status["status"] == "received" and status["messages"] == []
    detail = client.get(f"/v1/desk/tickets/{body['reference']}", headers=STAFF).json()
    assert detail["contact"] == {"name": "Mariko", "email": EMAIL, "postal_address": None, "phone": None}
    assert "My customer number is 1234." in detail["message"] and detail["channel"] == "api"
    assert client.get("/v1/desk/tickets", headers=STAFF).json()["total"] == 1


def test_edited_types_and_proxy_and_a_postal_address_alone_are_accepted(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    body = _body(_draft(assistant, company="highreso"), request_types=["deletion", "correction"], proxy=True)
    body["contact"] = {"postal_address": ADDRESS}
    created = client.post("/v1/requests", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["request_types"] == ["deletion", "correction"]
    assert "not yet the formal request" not in created.json()["next_steps"]
    detail = client.get(f"/v1/desk/tickets/{created.json()['reference']}", headers=STAFF).json()
    assert detail["proxy"] is True and detail["contact"]["postal_address"] == ADDRESS


def test_next_steps_follow_each_companys_own_requirements_in_the_callers_language(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    japanese = client.post("/v1/requests", json=_body(_draft(assistant)), headers={"Accept-Language": "ja"}).json()["next_steps"]
    assert japanese.startswith("この送信は、まだ正式な請求そのものではありません。アップワードは正式な請求を「郵送のみ")
    gmo = client.post("/v1/requests", json=_body(_draft(assistant, company="gmo-ai-robotics"))).json()["next_steps"]
    assert "only through the inquiry form at the URL" in gmo and "https://ai-robotics.gmo/en/contact/" in gmo
    sb = client.post("/v1/requests", json=_body(_draft(assistant, company="sb-cs"))).json()["next_steps"]
    assert "gives no contact point" in sb and "https://cas.softbank.jp/en/privacy/protect/" in sb
    win = client.post("/v1/requests", json=_body(_draft(assistant, company="win-techno"))).json()["next_steps"]
    assert "not yet the formal request" not in win and "Roppongi Hills" in win


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"contact": {"name": "Mariko", "phone": "03-0000-0000"}}, "contact"),
        ({"contact": None}, "contact"),
        ({"contact": {"email": "not an address"}}, "contact.email"),
        ({"draft_id": "no-such-draft"}, "draft_id"),
        ({"session_id": "another-session"}, "draft_id"),
        ({"request_types": ["everything"]}, "request_types"),
        ({"consent": "yes"}, "consent"),  # true, not something that reads as true
        ({"consent": 1}, "consent"),
        ({"draft_id": "abc\u0000def"}, "draft_id"),  # PostgreSQL cannot store a NUL: refused before any storage
        ({"session_id": "s\u0000"}, "session_id"),
    ],
)
def test_what_cannot_be_accepted_is_a_422_naming_the_field(app: tuple[TestClient, Any], change: dict[str, Any], field: str) -> None:
    client, assistant = app
    body = {k: v for k, v in {**_body(_draft(assistant)), **change}.items() if v is not None}
    resp = client.post("/v1/requests", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"].startswith(field), resp.json()["detail"]
    assert client.get("/v1/desk/tickets", headers=STAFF).json()["total"] == 0


def test_an_expired_draft_is_a_422_and_its_message_is_gone(app: tuple[TestClient, Any], db_settings: Settings) -> None:
    client, assistant = app
    draft_id = _draft(assistant)
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    with engine.begin() as conn:
        conn.execute(text("UPDATE request_drafts SET expires_at = :past"), {"past": "2000-01-01 00:00:00+00:00"})
    resp = client.post("/v1/requests", json=_body(draft_id))
    assert resp.status_code == 422 and resp.json()["detail"].startswith("draft_id") and "expired" in resp.json()["detail"]
    assistant.drafts.purge_expired()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM request_drafts")).scalar() == 0
    engine.dispose()


def test_ten_concurrent_submits_of_one_draft_give_one_ticket(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    draft_id = _draft(assistant)
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda _: client.post("/v1/requests", json=_body(draft_id)), range(10)))
    assert [r.status_code for r in replies] == [201] * 10, [r.text for r in replies if r.status_code != 201]
    assert len({(r.json()["reference"], r.json()["lookup_token"]) for r in replies}) == 1
    assert client.get("/v1/desk/tickets", headers=STAFF).json()["total"] == 1


def test_concurrent_submissions_of_distinct_drafts_cannot_pass_the_hourly_cap(app: tuple[TestClient, Any]) -> None:
    client, assistant = app  # the cap here is 3 an hour
    types = ("disclosure", "deletion", "correction", "suspension_of_use", "stop_third_party_provision", "third_party_records")
    drafts = [(f"sess-{i % 2}", _draft(assistant, session=f"sess-{i % 2}", types=(t,))) for i, t in enumerate(types)]  # 5 open a session
    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        codes = sorted(pool.map(lambda d: client.post("/v1/requests", json=_body(d[1], session=d[0])).status_code, drafts))
    assert codes == [201] * 3 + [429] * 3
    assert client.get("/v1/desk/tickets", headers=STAFF).json()["total"] == 3


def test_the_desk_writes_the_customer_reads_and_answers(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    created = client.post("/v1/requests", json=_body(_draft(assistant))).json()
    ref, token = created["reference"], created["lookup_token"]
    assert client.post(f"/v1/desk/tickets/{ref}/messages", json={"text": "hi"}, headers=HIGHRESO_STAFF).status_code == 404
    assert client.post(f"/v1/desk/tickets/{ref}/messages", json={"text": "hi"}).status_code == 401
    sent = client.post(f"/v1/desk/tickets/{ref}/messages", json={"text": "Please post the form with a copy of your ID."}, headers=STAFF)
    assert sent.status_code == 201 and sent.json()["from"] == "desk"
    status = client.get(f"/v1/requests/{ref}", params={"token": token}).json()
    assert [(m["from"], m["text"]) for m in status["messages"]] == [("desk", "Please post the form with a copy of your ID.")]
    assert client.post(f"/v1/requests/{ref}/messages", params={"token": "wrong"}, json={"text": "Posted."}).status_code == 404
    answer = client.post(f"/v1/requests/{ref}/messages", params={"token": token}, json={"text": "Posted today."})
    assert answer.status_code == 201 and answer.json()["from"] == "customer"
    assert client.post(f"/v1/requests/{ref}/messages", params={"token": token}, json={"text": ""}).status_code == 422
    detail = client.get(f"/v1/desk/tickets/{ref}", headers=STAFF).json()
    assert [m["from"] for m in detail["messages"]] == ["desk", "customer"]
    notes = [(e["actor"], e["note"], e["note_code"], e["note_params"]) for e in detail["events"]]
    assert ("staff:env-key-1", "message to the customer", "message_to_customer", {}) in notes
    assert ("customer", "message from the customer", "message_from_customer", {}) in notes
    # Staff's own words on a status change carry no code: the console shows them as written.
    moved = client.post(f"/v1/desk/tickets/{ref}/status", json={"status": "in_progress", "note": "ID received"}, headers=STAFF)
    assert moved.status_code == 200
    assert [(e["note"], e["note_code"]) for e in moved.json()["events"]][-1] == ("ID received", None)
    # Every other entry is one of the library's notes, named by its code in GET /v1/meta.
    coded = {n["id"] for n in client.get("/v1/meta").json()["audit_notes"]}
    assert all(e["note_code"] in coded for e in moved.json()["events"][:-1]), moved.json()["events"]


def test_submissions_per_client_and_company_are_capped_even_without_a_rate_limit(app: tuple[TestClient, Any]) -> None:
    client, assistant = app  # PA_RATE_LIMIT_PER_MINUTE is 0 in tests; the cap here is 3 an hour
    types = (("disclosure",), ("deletion",), ("correction",), ("suspension_of_use",))
    drafts = [_draft(assistant, types=t) for t in types]
    for draft_id in drafts[:3]:
        assert client.post("/v1/requests", json=_body(draft_id)).status_code == 201
    refused = client.post("/v1/requests", json=_body(drafts[3]))
    assert refused.status_code == 429 and "at most 3 an hour" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert client.post("/v1/requests", json=_body(drafts[0])).status_code == 201  # a repeat is never refused
    assert client.post("/v1/requests", json=_body(_draft(assistant, company="highreso"))).status_code == 201


def test_contacts_stay_out_of_logs_and_transcripts(app: tuple[TestClient, Any], caplog: pytest.LogCaptureFixture) -> None:
    client, assistant = app
    chat = client.post("/v1/chat", json={"message": "What personal information do you collect?", "company": "upward"}).json()
    session = chat["session_id"]
    caplog.set_level(logging.DEBUG)
    created = client.post("/v1/requests", json=_body(_draft(assistant, session=session), session=session)).json()
    client.get(f"/v1/desk/tickets/{created['reference']}", headers=STAFF)
    assert EMAIL not in caplog.text and created["lookup_token"] not in caplog.text
    assert EMAIL not in repr(assistant.sessions.transcript(session))


def test_a_clarified_request_reaches_the_desk_as_typed_and_its_status_is_asked_in_chat(
    app: tuple[TestClient, Any], db_settings: Settings
) -> None:
    client, assistant = app
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    typed = f"Please delete all my data. Reply to {EMAIL}"
    clarify = client.post("/v1/chat", json={"message": typed}).json()
    session = clarify["session_id"]
    assert clarify["route"] == "clarify", clarify
    draft = client.post("/v1/chat", json={"message": "UPWARD", "session_id": session}).json()
    assert draft["route"] == "desk" and draft["request_draft"]["company"] == "upward", draft
    created = client.post("/v1/requests", json=_body(draft["request_draft"]["id"], session=session))
    assert created.status_code == 201, created.text
    ref = created.json()["reference"]
    assert client.get(f"/v1/desk/tickets/{ref}", headers=STAFF).json()["message"] == typed  # the contact as typed
    with engine.connect() as conn:  # the held original went with the resume, the draft's with the submission
        assert [m for m in conn.execute(text("SELECT message FROM request_drafts")).scalars() if EMAIL in m] == []
    engine.dispose()
    client.post(f"/v1/desk/tickets/{ref}/messages", json={"text": "Please post the form with a copy of your ID."}, headers=STAFF)
    status = client.post("/v1/chat", json={"message": "What is the status of my request?", "session_id": session})
    assert status.status_code == 200
    body = status.json()
    assert body["route"] == "answer" and body["citations"] == [] and body["ticket"] is None and body["request_draft"] is None
    assert ref in body["answer"] and "is: received." in body["answer"] and "Please post the form with a copy of your ID." in body["answer"]
    ja = client.post("/v1/chat", json={"message": "申請の状況は？", "session_id": session}).json()
    assert ref in ja["answer"] and "「受付済み」" in ja["answer"]
    other = client.post("/v1/chat", json={"message": f"What is the status of my request {ref}?", "company": "upward"}).json()
    assert ref not in other["answer"]  # another session never sees it
    transcript = repr(assistant.sessions.transcript(session))
    assert EMAIL not in transcript and ref in transcript
    assert "Please post the form" not in transcript, "the desk's message stays in the ticket"


def test_clearing_a_conversation_deletes_its_drafts_and_held_original_and_keeps_its_ticket(
    app: tuple[TestClient, Any], db_settings: Settings
) -> None:
    client, assistant = app
    clarify = client.post("/v1/chat", json={"message": f"Please delete all my data. Reply to {EMAIL}"}).json()
    session = clarify["session_id"]
    assert clarify["route"] == "clarify", clarify  # the original is held, waiting for the company
    submitted_draft = _draft(assistant, session=session)
    created = client.post("/v1/requests", json=_body(submitted_draft, session=session)).json()
    waiting = _draft(assistant, session=session, types=("deletion",))
    kept = _draft(assistant, session="sess-other")
    engine = make_engine(db_settings.database_url, schema=db_settings.database_schema)
    rows = text("SELECT count(*) FROM request_drafts WHERE session_id = :s")
    with engine.connect() as conn:
        assert conn.execute(rows, {"s": session}).scalar() == 3
    assert client.delete(f"/v1/sessions/{session}").status_code == 204
    with engine.connect() as conn:
        assert conn.execute(rows, {"s": session}).scalar() == 0
        assert conn.execute(rows, {"s": "sess-other"}).scalar() == 1
    engine.dispose()
    refused = client.post("/v1/requests", json=_body(waiting, session=session))
    assert refused.status_code == 422 and refused.json()["detail"].startswith("draft_id")
    # The ticket is the desk's: it stays, its status is still looked up, and a retry still returns it.
    status = client.get(f"/v1/requests/{created['reference']}", params={"token": created["lookup_token"]})
    assert status.status_code == 200 and status.json()["status"] == "received"
    assert client.get(f"/v1/desk/tickets/{created['reference']}", headers=STAFF).json()["contact"]["email"] == EMAIL
    assert client.post("/v1/requests", json=_body(submitted_draft, session=session)).json() == created
    assert client.post("/v1/requests", json=_body(kept, session="sess-other")).status_code == 201


def test_the_customer_status_shows_no_due_date_while_staff_keep_the_internal_target(app: tuple[TestClient, Any]) -> None:
    client, assistant = app
    created = client.post("/v1/requests", json=_body(_draft(assistant))).json()
    status = client.get(f"/v1/requests/{created['reference']}", params={"token": created["lookup_token"]}).json()
    assert set(status) == {"reference", "status", "created_at", "messages"}, "no due date the policy does not state"
    assert client.get(f"/v1/desk/tickets/{created['reference']}", headers=STAFF).json()["due_at"]


JA = {"Accept-Language": "ja,en;q=0.5"}


def test_a_drafts_fields_are_named_as_the_body_and_its_422s_name_them(app: tuple[TestClient, Any]) -> None:
    client, _ = app
    reply = client.post("/v1/chat", json={"message": "Please delete all my personal data.", "company": "upward"}).json()
    names = [f["name"] for f in reply["request_draft"]["fields"]]
    assert names == ["contact.name", "contact.email", "contact.postal_address", "contact.phone", "consent"]
    for name in names:
        # A value the field refuses: the 422 names the field as the draft does.
        key = name.removeprefix("contact.")
        contact = {"email": EMAIL, key: "x" * 1000} if name != "consent" else {"email": EMAIL}
        body = {**submission(reply), "contact": contact, "consent": name != "consent"}
        refused = client.post("/v1/requests", json=body)
        assert refused.status_code == 422 and refused.json()["field"] == name, (name, refused.text)
        assert refused.json()["detail"].startswith(f"{name}: ")


@pytest.mark.parametrize(
    ("change", "field", "english", "japanese"),
    [
        ({"consent": False}, "consent", "consent: must be true", "consent: 同意が必要です。"),
        ({"contact": {"name": "Mariko"}}, "contact", "contact: give an e-mail address", "contact: 窓口からの返信先として"),
        (
            {"contact": {"email": "not an address"}},
            "contact.email",
            "contact.email: is not an e-mail",
            "contact.email: メールアドレスの形式",
        ),
        ({"draft_id": "no-such-draft"}, "draft_id", "draft_id: unknown or expired", "draft_id: 申請の下書きが見つからないか"),
        ({"request_types": []}, "request_types", "request_types: give one or more of", "request_types: 次の中から 1 つ以上"),
        (
            {"contact": {"email": "x" * 300 + "@example.org"}},
            "contact.email",
            "contact.email: String should",
            "contact.email: 254 文字以内",
        ),
    ],
)
def test_a_submissions_422_follows_accept_language_and_names_its_field(  # type: ignore[no-untyped-def]
    app: tuple[TestClient, Any], change: dict[str, Any], field: str, english: str, japanese: str
) -> None:
    client, assistant = app
    body = {**_body(_draft(assistant)), **change}
    for headers, start in (({}, english), ({"Accept-Language": "en-GB"}, english), (JA, japanese), ({"Accept-Language": "fr"}, english)):
        resp = client.post("/v1/requests", json=body, headers=headers)
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"].startswith(start), (headers, resp.json()["detail"])
        assert resp.json()["field"] == field, "the same machine-readable field in every language"


def test_the_hourly_cap_and_the_message_errors_follow_accept_language(app: tuple[TestClient, Any]) -> None:
    client, assistant = app  # the cap here is 3 an hour
    drafts = [_draft(assistant, types=t) for t in (("disclosure",), ("deletion",), ("correction",), ("suspension_of_use",))]
    created = [client.post("/v1/requests", json=_body(d)).json() for d in drafts[:3]]
    refused = client.post("/v1/requests", json=_body(drafts[3]), headers=JA)
    assert refused.status_code == 429 and refused.json()["detail"].startswith(
        "この会社への申請が多すぎます（1 つの接続元から 1 時間に 3 件まで）。"
    )
    assert "field" not in refused.json()
    english = client.post("/v1/requests", json=_body(drafts[3]))
    assert english.status_code == 429 and english.json()["detail"].startswith("too many requests to this company: at most 3 an hour")
    # When to retry, as a person says it (the header keeps the seconds).
    assert re.search(r"; retry in (1 minute|\d+ minutes|1 hour|about 1 hour), or", english.json()["detail"]), english.json()["detail"]
    assert re.search(r"。(\d+分後|1時間後|約1時間後)にもう一度", refused.json()["detail"]) and english.headers["Retry-After"].isdigit()

    ref, token = created[0]["reference"], created[0]["lookup_token"]
    blank = client.post(f"/v1/requests/{ref}/messages", params={"token": token}, json={"text": "   "}, headers=JA)
    assert blank.status_code == 422 and blank.json() | {"request_id": None} == {
        "detail": "text: メッセージを入力してください。", "field": "text", "request_id": None,
    }  # fmt: skip
    assert client.post(f"/v1/requests/{ref}/messages", params={"token": token}, json={"text": "   "}).json()["detail"] == (
        "text: a message needs some text"
    )
    empty = client.post(f"/v1/requests/{ref}/messages", params={"token": token}, json={"text": ""}, headers=JA)
    assert empty.status_code == 422 and empty.json()["detail"] == "text: 1 文字以上で指定してください" and empty.json()["field"] == "text"
    desk = client.post(f"/v1/desk/tickets/{ref}/messages", json={"text": " "}, headers={**STAFF, **JA})
    assert desk.status_code == 422 and desk.json()["detail"] == "text: メッセージを入力してください。"
    no_token = client.get(f"/v1/requests/{ref}", headers=JA)
    assert (
        no_token.status_code == 422 and no_token.json()["detail"].startswith("query.token: ") and no_token.json()["field"] == "query.token"
    )
