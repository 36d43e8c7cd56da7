"""Error texts in the caller's language: Accept-Language (English by default), and for a chat the message's own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.deps import STARTING_DETAIL, STORES_DETAIL, UNAVAILABLE_DETAIL
from api.errors import _STORAGE_DETAIL, _STORAGE_DETAILS, domain_detail
from api.i18n import localize, message_language
from api.main import create_app
from assistant.errors import InvalidMessageError, UnknownCompanyError

ROOT = Path(__file__).resolve().parents[2]
JA = {"Accept-Language": "ja"}
COMPANIES = "highreso, sb-cs, upward, gmo-ai-robotics, win-techno"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def test_unknown_company_follows_accept_language(client: TestClient) -> None:
    english = client.get("/v1/companies/acme/policy")
    japanese = client.get("/v1/companies/acme/policy", headers=JA)
    assert english.status_code == japanese.status_code == 404
    assert english.json()["detail"] == f"unknown company 'acme'; valid ids: {COMPANIES}"  # as before
    assert japanese.json()["detail"] == f"会社「acme」は見つかりません。有効な ID: {COMPANIES}"
    assert set(japanese.json()) == {"detail", "valid_companies", "request_id"}
    assert japanese.json()["valid_companies"] == english.json()["valid_companies"]


@pytest.mark.parametrize(
    ("header", "japanese"),
    [("ja", True), ("ja-JP,ja;q=0.9,en;q=0.8", True), ("fr,ja;q=0.5", True), ("en-US,ja;q=0.9", False), ("ja;q=0", False), ("de", False)],
)
def test_the_preferred_supported_language_wins(client: TestClient, header: str, japanese: bool) -> None:
    detail = client.get("/v1/companies/acme/policy", headers={"Accept-Language": header}).json()["detail"]
    assert bool(JAPANESE.search(detail)) is japanese, detail


def test_validation_errors_follow_accept_language(client: TestClient) -> None:
    english = client.get("/v1/desk/tickets", params={"limit": 0}, headers={"X-API-Key": "all-staff-key-for-tests-0001"})
    japanese = client.get("/v1/desk/tickets", params={"limit": 0}, headers={"X-API-Key": "all-staff-key-for-tests-0001", **JA})
    assert english.status_code == japanese.status_code == 422
    assert english.json()["detail"] == "query.limit: Input should be greater than or equal to 1"
    assert japanese.json()["detail"] == "query.limit: 1 以上で指定してください"


@pytest.mark.parametrize(
    ("body", "english", "japanese"),
    [
        ({}, "message: Field required", "message: 必須の項目です"),
        ({"message": ""}, "message: String should have at least 1 character", "message: 1 文字以上で指定してください"),
        ({"message": "   "}, "message is empty", "メッセージが空です。"),
        ({"message": 42}, "message: Input should be a valid string", "message: 文字列で指定してください"),
    ],
)
def test_a_chat_without_a_readable_message_follows_accept_language(client: TestClient, body: dict, english: str, japanese: str) -> None:
    for path in ("/v1/chat", "/v1/chat/stream"):
        assert client.post(path, json=body).json()["detail"] == english
        resp = client.post(path, json=body, headers=JA)
        assert resp.status_code == 422 and resp.json()["detail"] == japanese


def test_unreadable_json_follows_accept_language(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}
    assert client.post("/v1/chat", content=b"{not json", headers=headers).json()["detail"] == "1: JSON decode error"
    assert client.post("/v1/chat", content=b"{not json", headers={**headers, **JA}).json()["detail"] == "1: JSON として読み取れません"


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_chat_errors_follow_the_message_language(client: TestClient, path: str) -> None:
    japanese = client.post(path, json={"message": "個人情報の開示について", "company": "acme"})  # no Accept-Language
    assert japanese.status_code == 404 and japanese.json()["detail"].startswith("会社「acme」は見つかりません。")
    english = client.post(path, json={"message": "What do you collect?", "company": "acme"}, headers=JA)
    assert english.json()["detail"] == f"unknown company 'acme'; valid ids: {COMPANIES}"
    too_long = client.post(path, json={"message": "個人情報" * 501, "company": "upward"})
    assert too_long.status_code == 422 and too_long.json()["detail"] == "メッセージが 2004 文字あります。上限は 2000 文字です。"
    bad_company = client.post(path, json={"message": "個人情報の開示について", "company": "x" * 65})
    assert bad_company.status_code == 422 and bad_company.json()["detail"] == "company: 64 文字以内で指定してください"


def test_a_message_in_another_language_leaves_it_to_accept_language(client: TestClient) -> None:
    body = {"message": "개인정보를 삭제해 주세요", "company": "acme"}
    assert client.post("/v1/chat", json=body).json()["detail"].startswith("unknown company")
    assert client.post("/v1/chat", json=body, headers=JA).json()["detail"].startswith("会社「acme」")


def test_origin_refusal_in_the_message_language(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"widget_origins": "upward=https://upward.example"})
    with TestClient(create_app(settings, hash_assistant)) as c:
        body = {"message": "個人情報の開示について", "company": "highreso"}
        resp = c.post("/v1/chat", json=body, headers={"Origin": "https://upward.example"})
        assert resp.status_code == 403
        assert resp.json()["detail"] == (
            "このサイト（https://upward.example）は PA_WIDGET_ORIGINS で会社「highreso」向けに設定されていません。対応している会社: upward"
        )
        # The widget's own header passes CORS: Accept-Language is a safelisted header.
        preflight = c.options(
            "/v1/chat/stream",
            headers={
                "Origin": "https://upward.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,accept-language",
            },
        )
        assert preflight.status_code == 200


def test_other_errors_follow_accept_language(client: TestClient) -> None:
    missing = client.get("/v1/requests/PRQ-000001", params={"token": "x"}, headers=JA)
    assert missing.status_code == 404 and missing.json()["detail"] == "該当する申請は見つかりません。"
    assert client.get("/v1/requests/PRQ-000001", params={"token": "x"}).json()["detail"] == "no such request"
    assert client.get("/nope", headers=JA).json()["detail"] == "見つかりません。"
    assert client.get("/v1/desk/tickets", headers=JA).json()["detail"] == "スタッフ用のエンドポイントには X-API-Key ヘッダーが必要です。"
    huge = client.post("/v1/chat", content=b"x" * 70_000, headers={"Content-Type": "application/json", **JA})
    assert huge.status_code == 413 and huge.json()["detail"].startswith("リクエストの本文が大きすぎます。上限は ")


def test_rate_limit_in_japanese(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"rate_limit_per_minute": 1})
    with TestClient(create_app(settings, hash_assistant)) as c:
        c.delete("/v1/sessions/abc")
        resp = c.delete("/v1/sessions/abc", headers=JA)
        assert resp.status_code == 429
        assert re.fullmatch(r"リクエストが多すぎます（1分あたり 1 回まで）。\d+ 秒後にもう一度お試しください。", resp.json()["detail"])


def test_every_fixed_text_of_the_api_has_a_japanese_one() -> None:
    texts = [STARTING_DETAIL, UNAVAILABLE_DETAIL, STORES_DETAIL, _STORAGE_DETAIL, *(text for _, text in _STORAGE_DETAILS)]
    texts += ["a value in the request cannot be stored or looked up", "internal error; it has been logged", "no such request"]
    for text in texts:
        japanese = localize(text, "ja")
        assert japanese != text and JAPANESE.search(japanese), text
        assert localize(text, "en") == text


def test_the_ticket_lifecycle_errors_in_japanese() -> None:
    from assistant.desk.tickets import check_new_status, check_transition

    for call in (
        lambda: check_new_status("lost", ""),
        lambda: check_new_status("rejected", " "),
        lambda: check_transition("PRQ-1", "completed", "received"),
    ):
        with pytest.raises(Exception) as caught:
            call()
        assert JAPANESE.search(localize(str(caught.value), "ja")), str(caught.value)
    with pytest.raises(Exception) as caught:
        check_transition("PRQ-000001", "completed", "received")
    assert (
        localize(str(caught.value), "ja")
        == "PRQ-000001 を completed から received に変えることはできません。変更できる先: なし（この申請は終了しています）"
    )


def test_an_error_that_renders_itself_is_asked_for_its_text() -> None:
    """Errors with a `message(lang)` of their own (the library's catalog) are rendered by it; English stays str(exc)."""

    class Rendering(InvalidMessageError):
        def message(self, lang: str) -> str:
            return f"<{lang}>"

    assert domain_detail(Rendering("message is empty"), "ja") == "<ja>"
    assert domain_detail(Rendering("message is empty"), "en") == "message is empty"
    assert domain_detail(InvalidMessageError("message is empty"), "ja") == "メッセージが空です。"
    assert domain_detail(UnknownCompanyError("acme", ["upward"]), "ja") == "会社「acme」は見つかりません。有効な ID: upward"


@pytest.mark.parametrize(
    ("body", "lang"),
    [
        (b'{"message": "\\u500b\\u4eba\\u60c5\\u5831"}', "ja"),
        ('{"message": "個人情報を消して"}', "ja"),
        ({"message": "delete my data"}, "en"),
        ({"message": "12345 ?"}, None),
        ({"message": ["x"]}, None),
        (b"{not json", None),
        (b"[" * 5000 + b"]" * 5000, None),
        (None, None),
    ],
)
def test_message_language(body: object, lang: str | None) -> None:
    assert message_language(body) == lang


# ------------------------------------------------------------------------------ the widget's string table
WIDGET = ROOT / "api" / "static" / "widget.js"


def _table(source: str, lang: str) -> dict[str, str]:
    block = re.search(rf"\n    {lang}: \{{\n(.*?)\n    \}},", source, re.S)
    assert block, lang
    return dict(re.findall(r'^      (\w+): ("(?:[^"\\]|\\.)*"),$', block.group(1), re.M))


def test_the_widget_has_every_text_in_both_languages() -> None:
    source = WIDGET.read_text(encoding="utf-8")
    english, japanese = _table(source, "en"), _table(source, "ja")
    assert len(english) > 50 and english.keys() == japanese.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", japanese[key])), key


def test_the_widget_source_is_ascii() -> None:
    """Host pages may be in Shift_JIS: the embedded script stays readable whatever charset the page assumes."""
    assert WIDGET.read_bytes().isascii()


# ------------------------------------------------------------------------------ request types: named by GET /v1/meta
def _literals(source: str) -> set[str]:
    """The widget's string literals, their \\uXXXX escapes read as the characters they are."""
    found = set()
    for body in re.findall(r'"((?:[^"\\]|\\.)*)"', source):
        try:
            found.add(json.loads(f'"{body}"'))
        except ValueError:  # not a JSON-like string (a regular expression's text, say): no name in it
            continue
    return found


def test_the_widget_names_request_types_from_meta_not_from_a_table_of_its_own() -> None:
    """As the console does, and as the chat replies write them: a table of the widget's own drifts from both
    (its Japanese said 個人情報の開示 where the replies and the desk say 開示)."""
    from assistant.answering.messages import CATALOG
    from assistant.vocabulary import REQUEST_TYPES

    source = WIDGET.read_text(encoding="utf-8")
    ids = "|".join(REQUEST_TYPES)
    keyed = [line.strip() for line in source.splitlines() if re.match(rf"""\s*["']?({ids})["']?\s*:""", line)]
    assert not keyed and not re.search(r"\brequestTypes\s*:", source), f"a request-type table in widget.js: {keyed}"
    names = set(REQUEST_TYPES.values()) | {
        name for key, by_lang in CATALOG.items() if key.startswith("request.") for name in by_lang.values()
    }
    copied = sorted(names & _literals(source))
    assert not copied, f"widget.js writes request-type names itself: {copied}"
    # What it does instead: the labels of /v1/meta's request types, in its own language.
    assert "meta.request_types" in source and "labels[LANG]" in source


def test_the_widget_names_statuses_from_meta_not_from_a_table_of_its_own() -> None:
    """As the console does, and as the chat replies write them: the widget's own table named statuses in Japanese
    only, and an English page read the codes ('awaiting identity' where the replies say 'awaiting proof of identity')."""
    from assistant.answering.messages import CATALOG
    from assistant.vocabulary import STATUSES

    source = WIDGET.read_text(encoding="utf-8")
    ids = "|".join(STATUSES)
    keyed = [line.strip() for line in source.splitlines() if re.match(rf"""\s*["']?({ids})["']?\s*:""", line)]
    assert not keyed and not re.search(r"\bstatuses\s*:", source), f"a status table in widget.js: {keyed}"
    # A name that is also its status's code ("received") may stand in the code as that status's value.
    names = {name for key, by_lang in CATALOG.items() if key.startswith("status.") for name in by_lang.values()}
    copied = sorted((names - set(STATUSES)) & _literals(source))
    assert not copied, f"widget.js writes status names itself: {copied}"
    # What it does instead: the labels of /v1/meta's statuses, in its own language.
    assert re.search(r"namesOf\(meta\.statuses\b", source) and "labels[LANG]" in source


def test_the_scan_would_see_a_table() -> None:
    assert "\u958b\u793a" in _literals('  disclosure: "\\u958b\\u793a",')
    assert re.match(r"""\s*["']?(disclosure)["']?\s*:""", '        "disclosure": "x",')
    assert "\u53d7\u4ed8\u6e08\u307f" in _literals('        received: "\\u53d7\\u4ed8\\u6e08\\u307f",')
    assert re.match(r"""\s*["']?(awaiting_identity)["']?\s*:""", "  awaiting_identity: 'x',")


@pytest.mark.parametrize(("field", "prefix", "ids"), [("request_types", "request", "REQUEST_TYPES"), ("statuses", "status", "STATUSES")])
def test_meta_names_every_request_type_and_status_of_the_catalog_in_both_languages(
    client: TestClient, field: str, prefix: str, ids: str
) -> None:
    from typing import get_args

    from assistant import vocabulary
    from assistant.answering.messages import CATALOG, text
    from assistant.understand.language import Language

    catalog = {key.removeprefix(f"{prefix}.") for key in CATALOG if key.startswith(f"{prefix}.")}
    for headers in ({}, JA):  # the same whatever language asks: the widget picks its own
        served = {t["id"]: t["labels"] for t in client.get("/v1/meta", headers=headers).json()[field]}
        assert list(served) == list(getattr(vocabulary, ids)) and set(served) == catalog
        for key, names in served.items():
            assert set(names) == set(get_args(Language)) == {"en", "ja"}, key
            assert all(names[lang] == text(f"{prefix}.{key}", lang) for lang in names), (key, names)
            assert JAPANESE.search(names["ja"]) and not JAPANESE.search(names["en"]), (key, names)
