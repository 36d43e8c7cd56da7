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


def test_a_cap_says_when_to_retry_in_minutes_or_hours_in_either_language() -> None:
    from assistant.desk.drafts import TooManyDraftsError
    from assistant.desk.tickets import SubmissionLimitError

    day = TooManyDraftsError(5, 86_400)
    assert str(day) == (
        "too many open requests in this conversation: at most 5; submit one of them, or retry in 24 hours, when the oldest has expired"
    )
    assert day.retry_after == 86_400 and "1440" not in str(day)
    assert day.message("ja") == (
        "この会話で確認待ちの申請が多すぎます（5 件まで）。"
        "どれかを申請するか、いちばん古い下書きの期限が切れる24時間後にもう一度お試しください。"
    )
    hour = SubmissionLimitError(20, 3_599)
    assert str(hour).startswith("too many requests to this company: at most 20 an hour from one client; retry in 1 hour, or contact")
    assert hour.message("ja").startswith(
        "この会社への申請が多すぎます（1 つの接続元から 1 時間に 20 件まで）。1時間後にもう一度お試しいただくか、"
    )
    assert "retry in 2 minutes," in str(SubmissionLimitError(20, 100))


def test_retry_in_reads_as_a_person_would_say_it() -> None:
    from assistant.answering.messages import retry_in

    cases = {
        1: ("in 1 minute", "1分後"),
        100: ("in 2 minutes", "2分後"),
        3_540: ("in 59 minutes", "59分後"),
        3_600: ("in 1 hour", "1時間後"),
        3_700: ("in about 1 hour", "約1時間後"),
        5_400: ("in about 2 hours", "約2時間後"),
        86_399: ("in 24 hours", "24時間後"),
        86_400: ("in 24 hours", "24時間後"),
    }
    for seconds, (english, japanese) in cases.items():
        assert (retry_in(seconds), retry_in(seconds, "ja")) == (english, japanese), seconds
