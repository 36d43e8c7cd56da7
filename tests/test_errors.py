"""Errors a chat message can cause carry a code, so their text can be given in the message's language."""

from __future__ import annotations

import pickle

from assistant.errors import InvalidMessageError, StorageUnavailableError, UnknownCompanyError


def test_a_coded_error_keeps_its_english_text_and_renders_japanese() -> None:
    error = InvalidMessageError.coded("message_too_long", language="ja", length=2001, limit=2000)
    assert str(error) == "message is 2001 characters; the limit is 2000"
    assert error.code == "message_too_long" and dict(error.params) == {"length": 2001, "limit": 2000}
    assert error.message() == error.message("ja") == "メッセージが 2001 文字あります。上限は 2000 文字です。"
    assert error.message("en") == str(error)


def test_without_a_known_language_the_text_is_english() -> None:
    error = InvalidMessageError.coded("message_empty")
    assert error.language is None and error.message() == str(error) == "message is empty"
    assert error.message("ja") == "メッセージが空です。"
    assert error.message("fr") == str(error)  # an unsupported language reads English


def test_an_unknown_company_is_named_in_either_language() -> None:
    error = UnknownCompanyError("acme", ["highreso", "upward"])
    assert str(error) == "unknown company 'acme'; valid ids: highreso, upward"
    assert error.valid == ["highreso", "upward"] and error.code == "unknown_company"
    assert error.message("ja") == "会社「acme」は見つかりません。有効な ID: highreso, upward"


def test_an_error_without_a_code_has_its_english_text_only() -> None:
    error = StorageUnavailableError("session store unavailable")
    assert error.code is None and error.message("ja") is None and error.message("en") == "session store unavailable"


def test_a_plain_invalid_message_error_still_works() -> None:
    error = InvalidMessageError("message is empty")
    assert error.message("ja") is None and error.message() == "message is empty"
    assert str(pickle.loads(pickle.dumps(error))) == "message is empty"
