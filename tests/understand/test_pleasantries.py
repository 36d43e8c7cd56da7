"""Greetings and sign-offs come off; the question itself, and words that only look like
pleasantries, stay."""

from __future__ import annotations

import pytest

from assistant.understand import pleasantries
from assistant.understand.pleasantries import strip_pleasantries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi! Do you sell my data? Thanks, Ken", "Do you sell my data?"),
        ("Hello team. What is the fee?", "What is the fee?"),
        ("Good morning. Question: how long do you keep data? (ref 3)", "how long do you keep data?"),
        ("Dear Privacy Desk, please delete my account. Sincerely, A. Tanaka", "please delete my account."),
        ("Can you tell me the fee? Thank you very much in advance!", "Can you tell me the fee?"),
        ("How do I opt out?\nSent from my iPhone", "How do I opt out?"),
        ("whats the email at highreso Please advise.", "whats the email at highreso"),
        ("Delete my account [order 4411]", "Delete my account"),
        ("Okay. What now?", "What now?"),
        ("Hi all, hello again. Hi. What?", "What?"),
        ("Dear Mr. Tanaka, delete my data.", "delete my data."),
        ("Do you sell it?\n\nBest regards\nKen Sato", "Do you sell it?"),
    ],
)
def test_pleasantries_come_off(text: str, expected: str) -> None:
    assert strip_pleasantries(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Highreso: do you sell data?",  # "Hi..." inside a name
        "Morning deliveries of my data?",  # an opener word without its punctuation
        "what is best for me",  # "best" mid-sentence
        "do you share with Best Buy",  # a capitalised sign-off word that is a name here
        "Do you keep data for 5 years (or 10)?",  # brackets inside the question
        "thank you for nothing, you leaked my data",  # thanks that is the message
        "Thanks!",  # nothing else: the message stays
        "Dear team I want my data deleted. What is the fee?",  # "Dear ..." without its comma
        "Hi-reso, do you sell my data?",  # a company alias that starts like a greeting
        "Well-being data: do you collect it?",
        "Is this allowed under Article 21(1).",  # brackets without a reference word
        "Delete my data (no exceptions).",
    ],
)
def test_what_is_asked_stays(text: str) -> None:
    assert strip_pleasantries(text) == text


def test_only_the_tail_is_searched_for_sign_offs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sign-off pattern, searched over a whole message of line breaks, took 19 s for 2,000
    characters (every break a place to start, cubic backtracking); it now sees only the tail."""
    seen: list[int] = []
    real = pleasantries._TRAILING

    class Recording:
        def sub(self, repl: str, text: str, count: int = 0) -> str:
            seen.append(len(text))
            return real.sub(repl, text, count=count)

    monkeypatch.setattr(pleasantries, "_TRAILING", Recording())
    assert strip_pleasantries("a" + "\n" * 1998 + "b. Thanks!") == "a" + "\n" * 1998 + "b."
    assert seen and max(seen) <= pleasantries._TAIL


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("お世話になっております。私の個人情報を削除してください。よろしくお願いいたします。", "私の個人情報を削除してください。"),
        ("こんにちは、利用目的を教えてください", "利用目的を教えてください"),
        ("退会したらデータは消えますか？ありがとうございます。", "退会したらデータは消えますか？"),
        ("開示してください。お願いします。", "開示してください。"),
        ("夜分に失礼いたします。窓口はどこですか。ご返信お待ちしております。", "窓口はどこですか。"),
        ("第三者提供はありますか。以上です。", "第三者提供はありますか。"),
    ],
)
def test_japanese_set_phrases_come_off(text: str, core: str) -> None:
    assert strip_pleasantries(text) == core


@pytest.mark.parametrize(
    "text",
    [
        "削除をお願いします。",  # the request itself, not a sign-off after a sentence
        "よろしくお願いします。",  # nothing else: the message stays
        "ありがとう",
        "こんにちはって英語で何？",  # a greeting word that is the question
        "以上の内容で開示を請求します。",
    ],
)
def test_what_is_asked_in_japanese_stays(text: str) -> None:
    assert strip_pleasantries(text) == text
