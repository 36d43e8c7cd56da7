"""Follow-up detection (`assistant/understand/followup.py`), in English and in Japanese."""

from __future__ import annotations

import pytest

from assistant.understand.followup import leans_on_previous


@pytest.mark.parametrize(
    "text",
    [
        "And what do I write on the envelope?",
        "What about cookies?",
        "can i just ring them instead?",
        "その場合、費用はかかりますか。",  # a so- demonstrative
        "それって無料？",
        "じゃあ郵送でもいいの？",  # an opening conjunction
        "では、訂正はどうすれば？",  # an opening particle (では)
    ],
)
def test_leans_on_the_previous_turn(text: str) -> None:
    assert leans_on_previous(text)


@pytest.mark.parametrize(
    "text",
    [
        "How do I contact you?",
        "What do you use my personal data for?",
        "個人情報を第三者に提供することはありますか？",
        "ハイレゾの個人情報の窓口の住所を教えてください。",
        "ありがとうございました。",  # no noun at all: thanks, not a question
        "",
    ],
)
def test_stands_on_its_own(text: str) -> None:
    assert not leans_on_previous(text)
