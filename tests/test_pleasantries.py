"""Greetings and sign-offs come off; the question itself, and words that only look like
pleasantries, stay."""

from __future__ import annotations

import pytest

from assistant.pleasantries import strip_pleasantries


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
    ],
)
def test_what_is_asked_stays(text: str) -> None:
    assert strip_pleasantries(text) == text
